import { ValidationError } from '../../errors.js';

/** Terminal ids are 8 hex digits: safe in paths, tmux targets and topics. */
export const terminalIdPattern = /^[0-9a-f]{8}$/;
// 80 fits `cao-flow-` and a 64-character flow name; tmux takes far longer session names.
const sessionPattern = /^cao-[A-Za-z0-9_-]{1,80}$/;
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const maxInputBytes = 1024 * 1024;

/** Session names get the `cao-` prefix that marks our tmux sessions. */
export const sessionName = (name: string): string => {
	const full = name.startsWith('cao-') ? name : `cao-${name}`;
	if (!sessionPattern.test(full)) {
		throw new ValidationError(
			`invalid session name '${name.slice(0, 80)}': use letters, digits, '-' and '_' (at most 80)`,
		);
	}
	return full;
};

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
