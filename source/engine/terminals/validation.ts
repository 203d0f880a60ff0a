import { ValidationError } from '../../errors.js';

// Names are checked in one place for every entry point.
export { sessionName, terminalIdPattern } from '../../names.js';
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const maxInputBytes = 1024 * 1024;

export const assertEnv = (env: Readonly<Record<string, string>>): Record<string, string> => {
	for (const [key, value] of Object.entries(env)) {
		if (!envKeyPattern.test(key)) throw new ValidationError(`invalid environment variable name '${key}'`);
		if (value.includes('\0')) throw new ValidationError(`environment variable ${key} contains a NUL byte`);
	}
	return { ...env };
};

/**
 * Text for an agent's input line. Escape and other control bytes are removed: an ESC could end
 * the bracketed paste early and turn the rest of the text into keystrokes. Tabs and newlines stay.
 */
export const sanitizeInput = (text: string): string => {
	const bytes = Buffer.byteLength(text);
	if (bytes > maxInputBytes) {
		throw new ValidationError(`input is ${bytes} bytes; the limit is ${maxInputBytes}`);
	}
	return text.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
};
