/**
 * Turns a raw terminal stream into lines a detector can read. Not an emulator: cursor positioning
 * becomes line breaks, forward moves become spaces, `\r` redraws become new lines (so the newest
 * frame of a spinner is the last line), colours and modes vanish. The last OSC 0/2 window title
 * is kept, as some CLIs put their state there.
 */
export type NormalizedStream = { lines: string[]; title: string | null };

// ESC ] … BEL | ESC ] … ESC \   — e.g. "\x1b]0;✳ claude\x07" (window title)
const osc = /\x1b\](\d*);?([^\x07\x1b]*)(?:\x07|\x1b\\)/g;
// ESC [ params final — e.g. "\x1b[2K", "\x1b[12;1H", "\x1b[?2004h", "\x1b[38;5;12m"
const csi = /\x1b\[([0-?]*)[ -/]*([@-~])/g;
// Other escapes: ESC ( B charset, ESC 7 / ESC 8 save/restore, ESC = keypad, DCS/APC strings.
const otherEscape = /\x1bP[^\x1b]*\x1b\\|\x1b_[^\x1b]*\x1b\\|\x1b[()][0-9A-Za-z]|\x1b[78=>DEHMc]/g;
// An escape cut off at the end of the buffer, its rest still on the way: "\x1b[3", "\x1b]0;tit"
const truncatedEscape = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[P_][^\x1b]*|[()])?$/;
// C0 controls other than \t \n \r, and DEL.
const control = /[\x00-\x08\x0b-\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

const csiReplacement = (params: string, final: string): string => {
	switch (final) {
		case 'H': // cursor position
		case 'f':
		case 'A': // up / down / next / previous line / line position absolute
		case 'B':
		case 'E':
		case 'F':
		case 'd':
		case 'J': // erase display
			return '\n';
		// Erase line (K) moves nothing: TUIs send it after a cursor move or \r, which already broke
		// the line ("\x1b[5;1H\x1b[2Kone" is one new line, not two).
		case 'C': // cursor forward: the gap it leaves reads as spaces
			return ' '.repeat(Math.min(Number.parseInt(params, 10) || 1, 200));
		case 'G': // column absolute: to column 1 it is a carriage return ("\x1b[1G\x1b[2K> reply")
			return (Number.parseInt(params, 10) || 1) <= 1 ? '\n' : ' ';
		default:
			return '';
	}
};

export const normalizeStream = (raw: string): NormalizedStream => {
	let title: string | null = null;
	const text = raw
		.replace(truncatedEscape, '')
		.replace(osc, (_match, code: string, value: string) => {
			if (code === '0' || code === '2') title = value;
			return '';
		})
		.replace(csi, (_match, params: string, final: string) => csiReplacement(params, final))
		.replace(otherEscape, '')
		.replace(/\x1b/g, '')
		.replace(control, '')
		.replace(/\r\n/g, '\n')
		.replace(/\r/g, '\n');
	const lines = text.split('\n').map((line) => line.trimEnd());
	return { lines, title };
};

/** Plain text of a stream or screen: escapes gone, blank runs and trailing space trimmed. */
export const plainText = (raw: string): string => normalizeStream(raw).lines.join('\n');

/** The last `count` lines that are not blank, oldest first. */
export const lastNonBlank = (lines: readonly string[], count: number): string[] => {
	const found: string[] = [];
	for (let index = lines.length - 1; index >= 0 && found.length < count; index--) {
		const line = lines[index] as string;
		if (line.trim()) found.unshift(line);
	}
	return found;
};

/** Index of the last line that satisfies `test`, or -1. */
export const findLastIndex = (
	lines: readonly string[],
	test: (line: string) => boolean,
	before = lines.length,
): number => {
	for (let index = Math.min(before, lines.length) - 1; index >= 0; index--) {
		if (test(lines[index] as string)) return index;
	}
	return -1;
};

/**
 * The lines of the newest turn, prompt lines being the turn boundaries: between the last two
 * prompts when the screen ends at a prompt, else everything after the last prompt (a turn still
 * running).
 */
export const lastTurn = (lines: readonly string[], isPrompt: (line: string) => boolean): string[] => {
	const end = findLastIndex(lines, (line) => line.trim() !== '');
	if (end === -1) return [];
	if (!isPrompt(lines[end] as string)) return lines.slice(findLastIndex(lines, isPrompt, end) + 1, end + 1);
	return lines.slice(findLastIndex(lines, isPrompt, end) + 1, end);
};

/** The lines joined, without the blank lines before the first and after the last text. */
export const trimBlankLines = (lines: readonly string[]): string => {
	const first = lines.findIndex((line) => line.trim() !== '');
	if (first === -1) return '';
	const last = findLastIndex(lines, (line) => line.trim() !== '');
	return lines.slice(first, last + 1).join('\n');
};
