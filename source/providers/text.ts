/**
 * Turns a raw terminal stream into lines a detector can read. Not an emulator: cursor positioning
 * becomes line breaks, forward moves become spaces, `\r` redraws become new lines (so the newest
 * frame of a spinner is the last line), colours and modes vanish. The last OSC 0/2 window title
 * is kept, as some CLIs put their state there.
 */
export type NormalizedStream = { lines: string[]; title: string | null };

// Each pattern is tried where an ESC stands (sticky), in this order.
// ESC ] … BEL | ESC ] … ESC \   — e.g. "\x1b]0;✳ claude\x07" (window title)
const osc = /\x1b\](\d*);?([^\x07\x1b]*)(?:\x07|\x1b\\)/y;
// ESC [ params final — e.g. "\x1b[2K", "\x1b[12;1H", "\x1b[?2004h", "\x1b[38;5;12m"
const csi = /\x1b\[[0-?]*[ -/]*[@-~]/y;
// The parameters of a CSI sequence, after its "ESC [".
const csiParams = /[0-?]*/y;
// Other escapes: ESC ( B charset, ESC 7 / ESC 8 save/restore, ESC = keypad, DCS/APC strings.
const otherEscape = /\x1bP[^\x1b]*\x1b\\|\x1b_[^\x1b]*\x1b\\|\x1b[()][0-9A-Za-z]|\x1b[78=>DEHMc]/y;
// An escape cut off at the end of the buffer, its rest still on the way: "\x1b[3", "\x1b]0;tit"
const truncatedEscape = /^\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[P_][^\x1b]*|[()])?$/;

// Characters that are text as they stand: all but C0 controls (tab aside) and DEL.
const plainRun = /[^\x00-\x08\x0a-\x1f\x7f]+/y;

const esc = 0x1b;
const lineFeed = 0x0a;
const carriageReturn = 0x0d;
const tab = 0x09;
const del = 0x7f;

/**
 * What the CSI sequence at `index` leaves in the text: a line break, spaces, or nothing. `end` is
 * where it ends; its parameters are read only for the moves that need them.
 */
const csiReplacement = (text: string, index: number, end: number): string => {
	const count = () => {
		csiParams.lastIndex = index + 2;
		csiParams.test(text);
		return Number.parseInt(text.slice(index + 2, csiParams.lastIndex), 10) || 1;
	};
	switch (text[end - 1]) {
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
			return ' '.repeat(Math.min(count(), 200));
		case 'G': // column absolute: to column 1 it is a carriage return ("\x1b[1G\x1b[2K> reply")
			return count() <= 1 ? '\n' : ' ';
		default:
			return '';
	}
};

/** The raw text without an escape cut off at its end. */
const withoutTruncatedEscape = (raw: string): string => {
	const last = raw.lastIndexOf('\x1b');
	return last !== -1 && truncatedEscape.test(raw.slice(last)) ? raw.slice(0, last) : raw;
};

/**
 * One pass over the stream (detection reads a terminal's 32 KB buffer several times a turn; a
 * chain of whole-buffer regex replacements cost four times as much). It reads as the chain did:
 * escapes are dropped (CSI moves become line breaks or spaces), then C0 controls other than \t
 * \n \r, then \r\n and \r become line breaks, then each line loses its trailing space.
 */
export const normalizeStream = (raw: string): NormalizedStream => {
	const text = withoutTruncatedEscape(raw);
	const lines: string[] = [];
	let title: string | null = null;
	let line = '';
	/** Start of the plain characters not yet added to `line`. */
	let run = 0;
	/** A \r just broke the line: a \n right after it (escapes and controls aside) adds nothing. */
	let afterReturn = false;

	const addRun = (end: number) => {
		if (end <= run) return;
		line += text.slice(run, end);
		afterReturn = false;
	};
	const breakLine = () => {
		lines.push(line.trimEnd());
		line = '';
	};
	const lineFeedOut = () => {
		if (afterReturn) afterReturn = false;
		else breakLine();
	};

	let index = 0;
	while (index < text.length) {
		const code = text.charCodeAt(index);
		if ((code >= 0x20 && code !== del) || code === tab) {
			// A run of plain characters is skipped by the regex engine, many times faster than here.
			plainRun.lastIndex = index;
			plainRun.test(text);
			index = plainRun.lastIndex;
			continue;
		}
		addRun(index);
		if (code === esc) {
			const next = text[index + 1];
			let after = index + 1;
			if (next === ']') {
				osc.lastIndex = index;
				const match = osc.exec(text);
				if (match) {
					if (match[1] === '0' || match[1] === '2') title = match[2] as string;
					after = osc.lastIndex;
				}
			} else if (next === '[') {
				csi.lastIndex = index;
				if (csi.test(text)) {
					const out = csiReplacement(text, index, csi.lastIndex);
					if (out === '\n') lineFeedOut();
					else if (out) {
						line += out;
						afterReturn = false;
					}
					after = csi.lastIndex;
				}
			} else {
				otherEscape.lastIndex = index;
				if (otherEscape.test(text)) after = otherEscape.lastIndex;
			}
			// Past the escape; a lone ESC is dropped and what follows it is text.
			index = after;
		} else {
			if (code === lineFeed) lineFeedOut();
			else if (code === carriageReturn) {
				breakLine();
				afterReturn = true;
			}
			// Any other C0 control (or DEL) is dropped.
			index++;
		}
		run = index;
	}
	addRun(text.length);
	breakLine();
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
