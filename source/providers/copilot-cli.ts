import { join } from 'node:path';
import { type Dialog, answerDialogsUntilIdle } from './initialize.js';
import type { Detection, LaunchFile, McpServer, Provider } from './types.js';

/*
 * GitHub Copilot CLI (`copilot`, npm @github/copilot). Its TUI runs in the alternate screen and
 * repaints by cursor addressing: the footer under the input box is the status line, the dialogs
 * (folder trust, tool permission, ask_user) replace the input box and the footer. The captures in
 * fixtures/captures/copilot_cli/ were recorded from the real CLI 1.0.102 against a loopback model.
 */

// ---------------------------------------------------------------------------------------------
// A small terminal emulator. Full-screen TUIs (Copilot, and prompt_toolkit's Kimi) redraw single
// cells with cursor moves, so a line-by-line reading of the stream shows frames out of order; a
// rebuilt screen shows what a user sees. Candidate for text.ts (kimi-cli.ts uses it too).
// ---------------------------------------------------------------------------------------------

/** A screen rebuilt from a raw stream: its rows top to bottom, the last OSC 0/2 title. */
export type Screen = { rows: string[]; title: string | null };

/** Where the cursor is when the stream starts (0-based), for buffers that start mid-session. */
export type CursorStart = { row: number; col: number };

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

// An escape sequence cut off at the end of the buffer (the rest is in the next read): "\x1b[0",
// "\x1b]0;Kimi Co", "\x1b". Left in, its tail would print as text over the screen.
const incompleteTail =
	/\x1b(?:\[[0-?]*[ -/]*|\](?:[^\x07\x1b]|\x1b(?!\\))*\x1b?|[P_^](?:[^\x1b]|\x1b(?!\\))*\x1b?|[()*+])?$/;

type Row = string[];

/**
 * Replays a raw stream on an unbounded grid: relative moves stay consistent through scrolling
 * (a scroll is a translation), absolute moves (CUP) address rows from the top, erases clear
 * cells, the alternate screen starts a fresh grid. Rows above the start are kept (negative
 * indexes). Plain text (a tmux capture) comes out as its own lines.
 */
export const renderScreen = (raw: string, start: CursorStart = { row: 0, col: 0 }): Screen => {
	let grid = new Map<number, Row>();
	let row = start.row;
	let col = start.col;
	let saved = { row, col };
	/** The scroll region (DECSTBM), 0-based and inclusive; none: the grid is unbounded. */
	let region: { top: number; bottom: number } | undefined;
	let mainScreen: { grid: Map<number, Row>; row: number; col: number } | undefined;
	let title: string | null = null;

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
	const eraseLine = (mode: number) => {
		const cells = grid.get(row);
		if (!cells) return;
		if (mode === 0) cells.length = Math.min(cells.length, col);
		else if (mode === 1)
			for (let index = 0; index <= col && index < cells.length; index++) cells[index] = ' ';
		else grid.delete(row);
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
		else row -= 1;
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
		const values = params.split(';').map((value) => Number.parseInt(value, 10));
		const first = values[0];
		const count = first !== undefined && first > 0 ? first : 1;
		const mode = first !== undefined && !Number.isNaN(first) ? first : 0;
		switch (final) {
			case 'A':
				row -= count;
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
				row -= count;
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
		for (const char of run) {
			const codePoint = char.codePointAt(0) ?? 32;
			put(char, cellWidth(codePoint));
		}
	};

	const stream = raw.replace(incompleteTail, '');
	token.lastIndex = 0;
	for (let match = token.exec(stream); match; match = token.exec(stream)) {
		const [, oscCode, oscValue, csiParams, csiFinal, escCode, controlChar, printable] = match;
		if (oscCode !== undefined) {
			if (oscCode === '0' || oscCode === '2') title = oscValue ?? '';
		} else if (csiFinal !== undefined) csi(csiParams ?? '', csiFinal);
		else if (escCode !== undefined) escape(escCode);
		else if (controlChar !== undefined) control(controlChar);
		else if (printable !== undefined) text(printable);
	}

	if (grid.size === 0) return { rows: [], title };
	const indexes = [...grid.keys()];
	const top = Math.min(...indexes);
	const bottom = Math.max(...indexes);
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
	return { rows, title };
};

// ---------------------------------------------------------------------------------------------
// Copilot's screen
// ---------------------------------------------------------------------------------------------

// "\x1b[38;3H\x1b[?25h" — after each frame the renderer parks the (shown) cursor in the input box;
// frames start with moves relative to it, so a buffer that starts mid-session starts there.
const parkedCursor = /\x1b\[(\d+);(\d+)H\x1b\[\?25h/;

// "   print(\"hello\")                                     ┃" — the transcript's scrollbar column.
const scrollbar = /\s+[┃█]$/;

// " ◉ Working · 36 B esc esc interrupt                          gpt-4.1", " ● Executing esc esc interrupt",
// " ○ Creating the script esc esc interrupt" — the footer while a turn runs: a pulsing glyph, then
// "Working", "Executing", "Cancelling" or the agent's current intent (a frame may be half drawn).
const workingFooter = /^ ?[∙∘●◉◎○]/;
// " ← open sidebar · Interactive · Manual Approval · / commands · ? help · tab next tab    gpt-4.1"
// " Interactive · Manual Approval · @ files · # issues" (with text in the input box)
const readyFooter =
	/open sidebar|\/ commands|\? help|@ files|# issues|Manual Approval|Allow All|Interactive|Autopilot/;
// "❯ " or "❯ Write a hello world in python please" — the input box's line (column 0).
const inputLine = /^❯(?: |$)/;
// " ❯ Write a hello world in python please                                  06:22" — a sent prompt.
const echoLine = /^ ❯ \S/;
// "│ ↑/↓ to navigate · enter to select · esc to cancel │" (trust, permission dialogs),
// " ↑/↓ select · enter accept · ctrl+d decline · esc cancel" (ask_user) — a dialog's key hints.
const dialogHint = /↑\/↓ to navigate|enter to select|↑\/↓ select|enter accept/;
// "│ Do you want to run this command? │", "│ Do you trust the files in this folder? │",
// " Which language should I use?" — the question a dialog asks.
const dialogQuestion = /\?\s*│?$/;
// " ● FAKE-REPLY: hello", " ● Read notes.txt 1 line read", " $ Shell Create notes file No Content",
// " ✗ Could not connect to local model provider", " ○ Asking user Waiting for response" — the first
// line of a timeline entry (a message or a tool call); its other lines are indented.
const entryLine = /^ [●✗✓$○◉◎∙∘!] /;
// " ● Here is the code:" — an entry that may be the agent's message.
const messageLine = /^ ● /;
// " ✗ Could not connect to local model provider at http://127.0.0.1:43223/v1." — a failure.
const failureLine = /^ ✗ /;
// " ● Response was interrupted due to a server error. Retrying..." — a notice, not a reply.
const retryLine = /^ ● (?:Response was interrupted|.*Retrying\.\.\.$)/;
// " [Current]  Sessions   Issues   Pull requests   Gists" — the tab bar at the top of the screen.
const tabBar = /^ \[[A-Z][a-z]+\] {2}/;
// "  ╰─╯╰─╯  Copilot v1.0.102 uses AI." — the start-up banner.
const banner = /Copilot v\d+\.\d+/;
// "esc esc interrupt", "esc esc edit prompt" — hints only the working footer shows.
const turnHint = /esc esc (?:interrupt|edit prompt)|esc to interrupt/;
// "\x1b[1m", "\x1b[38;3H" — CSI sequences, which split the footer's words in the raw stream.
const csiSequence = /\x1b\[[0-?]*[ -/]*[@-~]/g;
// "   print(\"hello\")" — the indent under a timeline entry's first line (three columns).
const entryIndent = /^ {1,3}/;
// "\n\nreply\n  \n" — blank lines before and white space after a reply.
const outerSpace = /^\n+|\s+$/g;

/** The screen's rows, the scrollbar column removed. */
const screenRows = (raw: string): string[] => {
	const park = parkedCursor.exec(raw);
	const start = park ? { row: Number(park[1]) - 1, col: Number(park[2]) - 1 } : undefined;
	return renderScreen(raw, start).rows.map((row) => row.replace(scrollbar, ''));
};

const lastIndexWhere = (rows: readonly string[], test: (row: string) => boolean, before = rows.length) => {
	for (let index = Math.min(before, rows.length) - 1; index >= 0; index--) {
		if (test(rows[index] as string)) return index;
	}
	return -1;
};

/**
 * Where the bottom chrome starts: the working directory line and the rule above the input box. A
 * buffer that starts mid-session may lack both (unchanged rows are not redrawn), so by position.
 */
const chromeTop = (input: number): number => Math.max(0, input - 2);

// "╭──────╮" or "────────" — the top edge of a dialog that replaced the input box.
const dialogTop = /^(?:╭|─{8,})/;

/**
 * The input box's line: "❯" in column 0 a few rows above the footer. A buffer that starts at the
 * input may lack it (an unchanged row is not redrawn): then where it would be.
 */
const inputRow = (rows: readonly string[], bottom: number): number => {
	const index = lastIndexWhere(rows, (row) => inputLine.test(row), bottom);
	return index !== -1 && index >= bottom - 8 ? index : Math.max(0, bottom - 2);
};

/**
 * The rows of the newest turn: after the last sent prompt (else after the tab bar: a long reply
 * scrolled its prompt away), above the input box or the dialog that replaced it. `sent` tells
 * whether the prompt line was on screen.
 */
const turnRows = (rows: readonly string[]): { rows: string[]; sent: boolean } => {
	const bottom = lastIndexWhere(rows, (row) => row.trim() !== '');
	const hint = lastIndexWhere(rows, (row) => dialogHint.test(row));
	let end = chromeTop(inputRow(rows, bottom));
	if (hint !== -1 && hint >= bottom - 2) {
		end = Math.max(
			0,
			lastIndexWhere(rows, (row) => dialogTop.test(row), hint),
		);
	}
	const echo = lastIndexWhere(rows, (row) => echoLine.test(row), end);
	const top = echo !== -1 ? echo + 1 : lastIndexWhere(rows, (row) => tabBar.test(row), end) + 1;
	return { rows: rows.slice(top, end), sent: echo !== -1 };
};

/** The timeline entries of a turn: each its first line and the indented lines under it. */
const entries = (rows: readonly string[]): string[][] => {
	const found: string[][] = [];
	for (const row of rows) {
		if (entryLine.test(row)) found.push([row]);
		else found.at(-1)?.push(row);
	}
	return found;
};

const detectCopilot = (buffer: string, afterInput: boolean): Detection => {
	const rows = screenRows(buffer);
	const bottom = lastIndexWhere(rows, (row) => row.trim() !== '');
	if (bottom === -1) return { status: 'unknown', rule: 'copilot_cli.none', line: '' };
	const footer = rows[bottom] as string;

	// A dialog (folder trust, tool permission, ask_user) sits at the bottom, under its key hints.
	const hint = lastIndexWhere(rows, (row) => dialogHint.test(row));
	if (hint !== -1 && hint >= bottom - 2) {
		const question = lastIndexWhere(rows, (row) => dialogQuestion.test(row), hint);
		const line = question !== -1 && question >= hint - 12 ? rows[question] : rows[hint];
		return { status: 'waiting_user_answer', rule: 'copilot_cli.dialog', line: (line as string).trim() };
	}
	if (workingFooter.test(footer)) return { status: 'processing', rule: 'copilot_cli.working', line: footer };

	if (!readyFooter.test(footer)) return { status: 'unknown', rule: 'copilot_cli.none', line: footer };
	// Whether this buffer saw a turn run: only the working footer shows these hints.
	const turnSeen = turnHint.test(buffer.replace(csiSequence, ''));
	// After input the working footer comes with the prompt line: until then the screen is the one
	// from before (the input pasted but not submitted, a half-drawn frame, a slash command). After
	// an interrupt (esc esc) the prompt goes back into the box, but the turn was seen.
	if (afterInput && !turnSeen)
		return { status: 'unknown', rule: 'copilot_cli.turn-not-started', line: footer };
	const turn = turnRows(rows);
	const all = entries(turn.rows);
	const first = all.at(-1)?.[0];
	if (first && retryLine.test(first)) return { status: 'unknown', rule: 'copilot_cli.retrying', line: first };
	if (first && (turn.sent || turnSeen)) {
		if (failureLine.test(first)) return { status: 'error', rule: 'copilot_cli.failure', line: first };
		if (messageLine.test(first)) {
			return { status: 'completed', rule: 'copilot_cli.reply-then-prompt', line: first };
		}
	}
	// A reply longer than the screen scrolled its prompt and its first line away: the middle of a
	// message fills the transcript (no entry line, no start-up banner) of a turn this buffer saw
	// run, or of a whole screen (a capture: the tab bar on top).
	const content = turn.rows.filter((row) => row.trim());
	const whole = turnSeen || rows.some((row) => tabBar.test(row));
	if (
		!turn.sent &&
		whole &&
		all.length === 0 &&
		content.length > 0 &&
		!content.some((row) => banner.test(row))
	) {
		return { status: 'completed', rule: 'copilot_cli.reply-scrolled', line: content.at(-1) as string };
	}
	return { status: 'idle', rule: 'copilot_cli.prompt', line: footer };
};

const extractCopilot = (screen: string): string => {
	const turn = turnRows(screenRows(screen)).rows;
	const all = entries(turn);
	// The agent's last message; a failure that ended the turn is its answer too.
	const reply = [...all]
		.reverse()
		.find((entry) => messageLine.test(entry[0] as string) || failureLine.test(entry[0] as string));
	// A reply longer than the screen: its first line scrolled away, the rest is all that is left.
	const lines = reply ?? (all.length === 0 ? turn : []);
	return lines
		.map((line, index) => (index === 0 && reply ? line.slice(3) : line.replace(entryIndent, '')))
		.join('\n')
		.replace(outerSpace, '');
};

// ---------------------------------------------------------------------------------------------
// Launch
// ---------------------------------------------------------------------------------------------

/** Copilot's spelling of a stdio MCP server (`--additional-mcp-config`). */
const copilotServer = (server: McpServer) => ({
	type: 'local',
	command: server.command,
	args: [...server.args],
	env: { ...server.env },
	tools: ['*'],
});

// "Bash", "execute_bash", "run_shell_command" — shell tools (Claude Code, Q/Kiro, Gemini names).
const shellTools = /^(?:bash|shell|execute_bash|run_shell_command|execute)$/i;
// "Write", "Edit", "fs_write", "write_file", "replace" — file-writing tools.
const writeTools = /^(?:write|edit|multiedit|fs_write|write_file|replace|create|writefile|strreplacefile)$/i;
// "Read", "fs_read", "Glob", "Grep" — read-only tools: Copilot does not ask about reads.
const readTools = /^(?:read|fs_read|read_file|view|glob|grep|ls|readfile|search)$/i;
// "WebFetch", "web_fetch" — URL access.
const urlTools = /^(?:webfetch|web_fetch|fetch|url)$/i;
// "@github" or "@github/search_issues" — an MCP server or one of its tools, Q/Kiro style.
const atServer = /^@([\w.-]+)(?:\/([\w.-]+))?$/;
// "mcp__jira" or "mcp__jira__search" — the same, Claude Code style.
const mcpPrefixed = /^mcp__([\w.-]+?)(?:__([\w.-]+))?$/;

/**
 * A profile's tool name as a Copilot permission pattern: shell and write tools by their usual
 * names, MCP servers as `server` or `server(tool)`; Copilot's own patterns (`shell(git:*)`,
 * `write(.env)`, `MyMCP(tool)`) pass through. Read-only tools need no grant.
 */
const copilotPattern = (tool: string): string | undefined => {
	if (shellTools.test(tool)) return 'shell';
	if (writeTools.test(tool)) return 'write';
	if (readTools.test(tool)) return undefined;
	if (urlTools.test(tool)) return 'url';
	const server = atServer.exec(tool) ?? mcpPrefixed.exec(tool);
	if (server) return server[2] ? `${server[1]}(${server[2]})` : server[1];
	return tool;
};

/** Where the profile's system prompt goes: a custom instructions folder Copilot is pointed at. */
const instructionsDir = 'copilot-instructions';

// The dialogs Copilot can open before its prompt is usable, and the keys that answer them safely.
const dialogs: readonly Dialog[] = [
	// "│ Do you trust the files in this folder? │" → "❯ 1. Yes" (this session only, not remembered)
	{ name: 'folder trust', pattern: /Do you trust the files in this folder\?/, keys: ['1'] },
	// "│ Do you want to remember screen reader mode for future sessions? │" → "No, ask me next time"
	{ name: 'screen reader', pattern: /remember screen reader mode/, keys: ['Escape'] },
];

export const copilotCliProvider: Provider = {
	name: 'copilot_cli',
	// Enter while a turn runs queues the prompt ("└ [pending · ↑ recall]").
	input: { submitDelayMs: 300, enterCount: 1, acceptsInputWhileProcessing: true, exit: { text: '/exit' } },
	initTimeoutMs: 45_000,

	launchCommand({ profile, args, env, configDir, caoMcp }) {
		const command = ['copilot'];
		const files: LaunchFile[] = [];
		const launchEnv: Record<string, string> = {};
		if (profile?.model) command.push('--model', profile.model);

		const servers = { cao: caoMcp, ...profile?.mcpServers };
		const mcpFile = join(configDir, 'copilot-mcp.json');
		const mcpServers = Object.fromEntries(
			Object.entries(servers).map(([name, server]) => [name, copilotServer(server)]),
		);
		files.push({ path: mcpFile, content: `${JSON.stringify({ mcpServers }, null, 2)}\n` });
		// JSON or @file; augments ~/.copilot/mcp-config.json for this session only.
		command.push('--additional-mcp-config', `@${mcpFile}`);

		if (profile?.systemPrompt) {
			// Copilot reads `.github/instructions/*.instructions.md` under each folder listed in
			// COPILOT_CUSTOM_INSTRUCTIONS_DIRS into its system prompt (AGENTS.md there is only listed).
			const dir = join(configDir, instructionsDir);
			files.push({
				path: join(dir, '.github', 'instructions', 'cao-profile.instructions.md'),
				content: `${profile.systemPrompt.trimEnd()}\n`,
			});
			launchEnv.COPILOT_CUSTOM_INSTRUCTIONS_DIRS = [env.COPILOT_CUSTOM_INSTRUCTIONS_DIRS, dir]
				.filter((value): value is string => Boolean(value))
				.join(',');
		}

		if (profile?.skipPermissions || profile?.allowedTools?.includes('*')) {
			// --yolo = --allow-all-tools --allow-all-paths --allow-all-urls
			command.push(profile.skipPermissions ? '--yolo' : '--allow-all-tools');
		} else {
			// cao's own server (handoff, assign, send_message) never asks; the "=" form keeps the
			// variadic flag from swallowing the next argument.
			const patterns = new Set(['cao']);
			for (const tool of profile?.allowedTools ?? []) {
				const pattern = copilotPattern(tool);
				if (pattern) patterns.add(pattern);
			}
			for (const pattern of patterns) command.push(`--allow-tool=${pattern}`);
		}
		command.push(...args);
		return { command, env: launchEnv, files };
	},

	async initialize(context) {
		await answerDialogsUntilIdle(this, context, dialogs);
	},

	detect(buffer, context): Detection {
		return detectCopilot(buffer, context.afterInput);
	},

	extractLastReply(screen) {
		return extractCopilot(screen);
	},
};
