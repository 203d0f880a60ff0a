import { ValidationError } from '../../errors.js';
import { keyNamePattern } from './types.js';

/** tmux key names and the bytes a terminal (xterm) sends for them. */
const named: Readonly<Record<string, string>> = {
	Enter: '\r',
	Escape: '\x1b',
	Tab: '\t',
	BTab: '\x1b[Z',
	BSpace: '\x7f',
	Space: ' ',
	Up: '\x1b[A',
	Down: '\x1b[B',
	Right: '\x1b[C',
	Left: '\x1b[D',
	Home: '\x1b[H',
	End: '\x1b[F',
	PageUp: '\x1b[5~',
	PPage: '\x1b[5~',
	PageDown: '\x1b[6~',
	NPage: '\x1b[6~',
	Insert: '\x1b[2~',
	IC: '\x1b[2~',
	Delete: '\x1b[3~',
	DC: '\x1b[3~',
	F1: '\x1bOP',
	F2: '\x1bOQ',
	F3: '\x1bOR',
	F4: '\x1bOS',
	F5: '\x1b[15~',
	F6: '\x1b[17~',
	F7: '\x1b[18~',
	F8: '\x1b[19~',
	F9: '\x1b[20~',
	F10: '\x1b[21~',
	F11: '\x1b[23~',
	F12: '\x1b[24~',
};

/**
 * The bytes for a tmux key name, as the pty backend writes them: `Enter`, `C-c` (a control
 * character), `M-x` (ESC then the key), `y` (itself).
 */
export const keyBytes = (key: string): string => {
	if (!keyNamePattern.test(key)) throw new ValidationError(`invalid key name '${key}'`);
	const modifier = /^([CMS])-(.+)$/.exec(key);
	if (modifier) {
		const [, kind, rest = ''] = modifier;
		const base = keyBytes(rest);
		if (kind === 'M') return `\x1b${base}`;
		if (kind === 'S') return base.length === 1 ? base.toUpperCase() : base;
		// Ctrl: a letter or one of @[\]^_ becomes its control character.
		if (base.length === 1) {
			const code = base.toUpperCase().charCodeAt(0);
			if (code >= 0x40 && code <= 0x5f) return String.fromCharCode(code - 0x40);
			if (base === '?') return '\x7f';
		}
		throw new ValidationError(`key '${key}' has no control character`);
	}
	const bytes = named[key];
	if (bytes !== undefined) return bytes;
	if (Array.from(key).length === 1) return key;
	throw new ValidationError(`unknown key name '${key}'`);
};
