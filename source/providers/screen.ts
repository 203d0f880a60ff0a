/**
 * A small terminal emulator. Full-screen TUIs (Copilot, OpenCode, Gemini's Ink, prompt_toolkit's
 * Kimi) redraw single cells with cursor moves and scroll regions, so a line-by-line reading of
 * the stream shows frames out of order; a rebuilt screen shows what a user sees. Lines never wrap.
 */

/**
 * A screen rebuilt from a raw stream: its rows top to bottom, the last OSC 0/2 title and, after a
 * turn mark (`turnMark`), the rows (indexes into `rows`) drawn since it.
 */
export type Screen = { rows: string[]; title: string | null; fresh?: ReadonlySet<number> };

/** Where the cursor is when the stream starts (0-based), for buffers that start mid-session. */
export type CursorStart = { row: number; col: number };

export type ReplayOptions = {
	start?: CursorStart;
	/**
	 * The stream starts at the top of the screen (a terminal's whole output): a move up stops at
	 * the first row, as on a terminal. Claude erases its first frame with "\x1b[17A" after drawing
	 * 16 rows; without this the next frame would land a row too high.
	 */
	fromTop?: boolean;
};

/**
 * Marks where a turn begins in a stream kept across turns (a private OSC no terminal uses): rows
 * drawn after it are the turn's own, rows before it what the screen already showed.
 */
export const turnMark = '\x1b]7777;cao-turn\x07';

// Code point ranges two cells wide: CJK, Hangul, fullwidth forms, emoji with emoji presentation
// ("✨", "🌑", "💫"). Box drawing, braille and geometric shapes ("─", "⠋", "●", "◉") are one cell.
const wideRanges: readonly (readonly [number, number])[] = [
	[0x1100, 0x115f],
	[0x231a, 0x231b],
	[0x2329, 0x232a],
	[0x23e9, 0x23ec],
	[0x23f0, 0x23f0],
	[0x23f3, 0x23f3],
	[0x25fd, 0x25fe],
	[0x2614, 0x2615],
	[0x2648, 0x2653],
	[0x267f, 0x267f],
	[0x2693, 0x2693],
	[0x26a1, 0x26a1],
	[0x26aa, 0x26ab],
	[0x26bd, 0x26be],
	[0x26c4, 0x26c5],
	[0x26ce, 0x26ce],
	[0x26d4, 0x26d4],
	[0x26ea, 0x26ea],
	[0x26f2, 0x26f3],
	[0x26f5, 0x26f5],
	[0x26fa, 0x26fa],
	[0x26fd, 0x26fd],
	[0x2705, 0x2705],
	[0x270a, 0x270b],
	[0x2728, 0x2728],
	[0x274c, 0x274c],
	[0x274e, 0x274e],
	[0x2753, 0x2755],
	[0x2757, 0x2757],
	[0x2795, 0x2797],
	[0x27b0, 0x27b0],
	[0x27bf, 0x27bf],
	[0x2b1b, 0x2b1c],
	[0x2b50, 0x2b50],
	[0x2b55, 0x2b55],
	[0x2e80, 0x303e],
	[0x3041, 0x33ff],
	[0x3400, 0x4dbf],
	[0x4e00, 0x9fff],
	[0xa000, 0xa4cf],
	[0xac00, 0xd7a3],
	[0xf900, 0xfaff],
	[0xfe10, 0xfe19],
	[0xfe30, 0xfe6f],
	[0xff00, 0xff60],
	[0xffe0, 0xffe6],
	[0x1f004, 0x1f004],
	[0x1f0cf, 0x1f0cf],
	[0x1f18e, 0x1f18e],
	[0x1f191, 0x1f19a],
	[0x1f200, 0x1f251],
	[0x1f300, 0x1f64f],
	[0x1f680, 0x1f6ff],
	[0x1f7e0, 0x1f7eb],
	[0x1f90c, 0x1f9ff],
	[0x1fa70, 0x1faff],
	[0x20000, 0x3fffd],
];

/** Terminal cells a code point takes: 0 for combining marks, joiners and variation selectors. */
export const cellWidth = (codePoint: number): number => {
	if (codePoint < 0x300) return 1;
	if (
		(codePoint >= 0x300 && codePoint <= 0x36f) ||
		(codePoint >= 0x200b && codePoint <= 0x200f) ||
		(codePoint >= 0x20d0 && codePoint <= 0x20ff) ||
		(codePoint >= 0xfe00 && codePoint <= 0xfe0f) ||
		(codePoint >= 0x1f3fb && codePoint <= 0x1f3ff) ||
		(codePoint >= 0xe0000 && codePoint <= 0xe007f)
	) {
		return 0;
	}
	return wideRanges.some(([low, high]) => codePoint >= low && codePoint <= high) ? 2 : 1;
};

// One token of a raw stream: an OSC string ("\x1b]0;GitHub Copilot\x07"), a CSI sequence
// ("\x1b[38;3H", "\x1b[?1049h"), a DCS/APC/PM string, a two-byte escape ("\x1b7", "\x1b(B"), a lone
// ESC, one C0 control ("\r", "\b"), or a run of printable text.
const token =
	/\x1b\](\d*);?([^\x07\x1b]*)(?:\x07|\x1b\\)|\x1b\[([0-?]*)[ -/]*([@-~])|\x1b[P_^][^\x1b]*\x1b\\|\x1b([()*+][0-9A-Za-z]|[0-~])|\x1b|([\x00-\x1f\x7f])|([^\x00-\x1f\x7f\x1b]+)/gy;

// The tail of an escape sequence cut in half by the start of a rolling buffer: "8;5;232m".
const cutSequence = /^[0-9;:?]+[ -/]*[@-~]/;

// An escape sequence cut off at the end of the buffer (the rest is in the next read): "\x1b[0",
// "\x1b]0;Kimi Co", "\x1b". Left in, its tail would print as text over the screen.
const incompleteTail =
	/\x1b(?:\[[0-?]*[ -/]*|\](?:[^\x07\x1b]|\x1b(?!\\))*\x1b?|[P_^](?:[^\x1b]|\x1b(?!\\))*\x1b?|[()*+])?$/;

// "\x1b[?2026h" … "\x1b[?2026l": a synchronized frame (OpenTUI wraps every frame in one).
const frameStart = '\x1b[?2026h';
const frameEnd = '\x1b[?2026l';

/**
 * The stream without what is still being written at its end: a half-written synchronized frame
 * (it says nothing yet) and an escape sequence cut off by the end of the read.
 */
const settledPart = (raw: string): string => {
	const start = raw.lastIndexOf(frameStart);
	const frames = start !== -1 && raw.indexOf(frameEnd, start) === -1 ? raw.slice(0, start) : raw;
	return frames.replace(incompleteTail, '');
};

type Row = string[];

/** A replayed stream: its screen, where that screen's first row is, and the terminal's state. */
type Replayed = {
	screen: Screen;
	/** The grid row of `screen.rows[0]`: negative when the stream moved above where it started. */
	top: number;
	alternate: boolean;
	row: number;
	col: number;
	region: { top: number; bottom: number } | undefined;
};

/**
 * Replays a raw stream on an unbounded grid: relative moves stay consistent through scrolling
 * (a scroll is a translation), absolute moves (CUP) address rows from the top, erases clear
 * cells, the alternate screen starts a fresh grid. Rows above the start are kept (negative
 * indexes). Plain text (a tmux capture) comes out as its own lines.
 */
const replay = (
	raw: string,
	{ start = { row: 0, col: 0 }, fromTop = false }: ReplayOptions = {},
): Replayed => {
	let grid = new Map<number, Row>();
	const up = (count: number) => {
		row = fromTop ? Math.max(0, row - count) : row - count;
	};
	let row = start.row;
	let col = start.col;
	let saved = { row, col };
	/** The scroll region (DECSTBM), 0-based and inclusive; none: the grid is unbounded. */
	let region: { top: number; bottom: number } | undefined;
	let mainScreen: { grid: Map<number, Row>; row: number; col: number } | undefined;
	let title: string | null = null;
	/** The grid rows written since the turn mark; undefined before one. */
	let fresh: Set<number> | undefined;

	const rowAt = (index: number): Row => {
		let cells = grid.get(index);
		if (!cells) {
			cells = [];
			grid.set(index, cells);
		}
		return cells;
	};
	const put = (char: string, width: number) => {
		const cells = rowAt(row);
		if (width === 0) {
			if (col > 0 && cells[col - 1] !== undefined) cells[col - 1] += char;
			return;
		}
		while (cells.length < col) cells.push(' ');
		if (cells[col] === '' && col > 0) cells[col - 1] = ' ';
		if (cells[col + width] === '') cells[col + width] = ' ';
		cells[col] = char;
		if (width === 2) cells[col + 1] = '';
		col += width;
	};
	// An erased row stays on screen, blank: Ink's "erase the line, move up" leaves its last row.
	const eraseLine = (mode: number) => {
		const cells = rowAt(row);
		if (mode === 0) cells.length = Math.min(cells.length, col);
		else if (mode === 1)
			for (let index = 0; index <= col && index < cells.length; index++) cells[index] = ' ';
		else cells.length = 0;
	};
	const eraseDisplay = (mode: number) => {
		if (mode === 2 || mode === 3) {
			grid = new Map();
			return;
		}
		for (const index of [...grid.keys()]) {
			if (mode === 0 ? index > row : index < row) grid.delete(index);
		}
		eraseLine(mode);
	};
	/** Moves the rows from `from` to the region's bottom by `by` (down if positive); rows pushed
	 * past either edge are lost, rows uncovered are blank. */
	const shiftRows = (from: number, by: number) => {
		const bottom = region?.bottom ?? Number.POSITIVE_INFINITY;
		const moved = new Map<number, Row>();
		for (const [index, cells] of grid) {
			if (index < from || index > bottom) moved.set(index, cells);
			else if (index + by >= from && index + by <= bottom) moved.set(index + by, cells);
		}
		grid = moved;
	};
	const lineFeed = () => {
		if (region && row === region.bottom) shiftRows(region.top, -1);
		else row += 1;
	};
	const reverseIndex = () => {
		if (region && row === region.top) shiftRows(region.top, 1);
		else up(1);
	};
	const setMode = (params: string, on: boolean) => {
		const modes = params.slice(1).split(';');
		if (!modes.some((mode) => mode === '1049' || mode === '1047' || mode === '47')) return;
		if (on && !mainScreen) {
			mainScreen = { grid, row, col };
			grid = new Map();
		} else if (!on && mainScreen) {
			({ grid, row, col } = mainScreen);
			mainScreen = undefined;
		}
	};
	const csi = (params: string, final: string) => {
		if (params.startsWith('?')) {
			if (final === 'h' || final === 'l') setMode(params, final === 'h');
			return;
		}
		// Other private sequences move nothing: "\x1b[<u" and "\x1b[>1u" pop and push the kitty
		// keyboard mode (not "\x1b[u", restore the cursor), "\x1b[>4;2m" sets modifyOtherKeys.
		if (/^[<=>]/.test(params)) return;
		const values = params.split(';').map((value) => Number.parseInt(value, 10));
		const first = values[0];
		const count = first !== undefined && first > 0 ? first : 1;
		const mode = first !== undefined && !Number.isNaN(first) ? first : 0;
		switch (final) {
			case 'A':
				up(count);
				break;
			case 'B':
			case 'e':
				row += count;
				break;
			case 'C':
			case 'a':
				col += count;
				break;
			case 'D':
				col = Math.max(0, col - count);
				break;
			case 'E':
				row += count;
				col = 0;
				break;
			case 'F':
				up(count);
				col = 0;
				break;
			case 'G':
			case '`':
				col = count - 1;
				break;
			case 'd':
				row = count - 1;
				break;
			case 'H':
			case 'f': {
				const second = values[1];
				row = count - 1;
				col = second !== undefined && second > 0 ? second - 1 : 0;
				break;
			}
			case 'J':
				eraseDisplay(mode);
				break;
			case 'K':
				eraseLine(mode);
				break;
			case 'X': {
				const cells = rowAt(row);
				for (let index = col; index < col + count && index < cells.length; index++) cells[index] = ' ';
				break;
			}
			case 'P':
				rowAt(row).splice(col, count);
				break;
			case '@': {
				const cells = rowAt(row);
				if (cells.length > col) cells.splice(col, 0, ...Array.from({ length: count }, () => ' '));
				break;
			}
			case 'L':
				shiftRows(row, count);
				break;
			case 'M':
				for (let index = row; index < row + count; index++) grid.delete(index);
				shiftRows(row, -count);
				break;
			case 'S':
				if (region) for (let index = 0; index < count; index++) shiftRows(region.top, -1);
				break;
			case 'T':
				if (region) for (let index = 0; index < count; index++) shiftRows(region.top, 1);
				break;
			case 'r': {
				const second = values[1];
				region =
					first !== undefined && first > 0 && second !== undefined && second > first
						? { top: first - 1, bottom: second - 1 }
						: undefined;
				row = 0;
				col = 0;
				break;
			}
			case 's':
				saved = { row, col };
				break;
			case 'u':
				({ row, col } = saved);
				break;
			case 't':
				// "ESC[14t" asks the terminal's size in pixels: OpenTUI does on a resize, then
				// repaints the whole screen at the new size (no cell of the old layout stays).
				if (first === 14) eraseDisplay(2);
				break;
			default:
				break;
		}
	};
	const escape = (code: string) => {
		switch (code) {
			case '7':
				saved = { row, col };
				break;
			case '8':
				({ row, col } = saved);
				break;
			case 'D':
				lineFeed();
				break;
			case 'E':
				lineFeed();
				col = 0;
				break;
			case 'M':
				reverseIndex();
				break;
			case 'c':
				grid = new Map();
				region = undefined;
				row = 0;
				col = 0;
				break;
			default:
				break;
		}
	};
	const control = (char: string) => {
		switch (char) {
			case '\r':
				col = 0;
				break;
			case '\n': // a plain capture has no "\r": a line feed starts the next line at its left edge
				lineFeed();
				col = 0;
				break;
			case '\b':
				col = Math.max(0, col - 1);
				break;
			case '\t':
				col = (Math.floor(col / 8) + 1) * 8;
				break;
			default:
				break;
		}
	};
	const text = (run: string) => {
		fresh?.add(row);
		for (const char of run) {
			const codePoint = char.codePointAt(0) ?? 32;
			put(char, cellWidth(codePoint));
		}
	};

	const stream = raw.includes('\x1b') ? raw.replace(cutSequence, '') : raw;
	token.lastIndex = 0;
	for (let match = token.exec(stream); match; match = token.exec(stream)) {
		const [whole, oscCode, oscValue, csiParams, csiFinal, escCode, controlChar, printable] = match;
		if (oscCode !== undefined) {
			if (oscCode === '0' || oscCode === '2') title = oscValue ?? '';
			else if (whole === turnMark) fresh = new Set();
		} else if (csiFinal !== undefined) csi(csiParams ?? '', csiFinal);
		else if (escCode !== undefined) escape(escCode);
		else if (controlChar !== undefined) control(controlChar);
		else if (printable !== undefined) text(printable);
	}

	const indexes = [...grid.keys()];
	const top = indexes.length ? Math.min(...indexes) : 0;
	const bottom = indexes.length ? Math.max(...indexes) : -1;
	const rows: string[] = [];
	for (let index = top; index <= bottom; index++) {
		const cells = grid.get(index);
		rows.push(
			cells
				? Array.from(cells, (cell) => cell ?? ' ')
						.join('')
						.trimEnd()
				: '',
		);
	}
	const screen: Screen = fresh
		? { rows, title, fresh: new Set([...fresh].map((index) => index - top)) }
		: { rows, title };
	return { screen, top, alternate: mainScreen !== undefined, row, col, region };
};

/** The screen a raw stream leaves, read as it settles: without what is still being written. */
export const renderScreen = (raw: string, options?: ReplayOptions): Screen =>
	replay(settledPart(raw), options).screen;

/**
 * A short stream that draws what `raw` leaves on screen (rows, title, scroll region, cursor,
 * alternate screen) followed by what is still being written (an unfinished frame, a cut escape),
 * verbatim: replayed, it reads as `raw` does. A CLI that repaints only the cells that change needs
 * every frame since its last full repaint, which a buffer cut to its newest bytes loses. With
 * `newTurn` every row is drawn before a turn mark; after one, the rows drawn since it come after
 * the mark again, so they stay the turn's own.
 */
export const screenSnapshot = (
	raw: string,
	options: { newTurn?: boolean; fromTop?: boolean } = {},
): string => {
	const settled = settledPart(raw);
	const { screen, top, alternate, row, col, region } = replay(settled, { fromTop: options.fromTop });
	const { rows, title, fresh } = screen;
	// Rows above the first (negative) cannot be addressed by a CUP: reached from it by a move up.
	const moveTo = (to: number, column: number) =>
		`\x1b[${Math.max(to, 0) + 1};${column + 1}H${to < 0 ? `\x1b[${-to}A` : ''}`;
	const draw = (keep: (index: number) => boolean) =>
		rows.map((text, index) => (text && keep(index) ? moveTo(top + index, 0) + text : '')).join('');
	let out = alternate ? '\x1b[?1049h' : '';
	if (region) out += `\x1b[${region.top + 1};${region.bottom + 1}r`;
	if (options.newTurn) out += draw(() => true) + turnMark;
	else if (fresh) out += draw((index) => !fresh.has(index)) + turnMark + draw((index) => fresh.has(index));
	else out += draw(() => true);
	if (title !== null) out += `\x1b]0;${title}\x07`;
	return `${out}${moveTo(row, col)}${raw.slice(settled.length)}`;
};
