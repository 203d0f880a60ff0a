import { join } from 'node:path';
import { answerDialogsUntilIdle, type Dialog } from './initialize.js';
import { findLastIndex, normalizeStream, trimBlankLines } from './text.js';
import { mcpServersConfig } from './mcp-servers.js';
import { renderScreen, type Screen, screenSnapshot, turnMark } from './screen.js';
import type { Detection, LaunchFile, LaunchOptions, Provider } from './types.js';

/*
 * Claude Code (checked on 2.1.x). What its screen says:
 *   idle        "❯ " in a box between two rules, footer "? for shortcuts" (or a mode footer such as
 *               "⏵⏵ accept edits on (shift+tab to cycle)"); title "✳ <session name>"
 *   processing  spinner line "✢ Ionizing… (2s · ↓ 4 tokens)" and footer "esc to interrupt"; while the
 *               reply streams the spinner line is gone and only the footer says so; the title
 *               starts with a braille dot ("⠐ <session name>")
 *   completed   "● <reply>" then "✻ Sautéed for 2s" (one of eight past-tense verbs) then the box
 *   waiting     a permission or first-run dialog: "Do you want to proceed?", " ❯ 1. Yes",
 *               "Esc to cancel · Tab to amend"; the title is "✳ …" there, as when idle
 *   error       the turn's reply is "● API Error: 400 …", then the usual "✻ Baked for 0s"
 * In a raw stream the spinner only repaints its glyph and counters, so the order of the evidence
 * (and the title, at its position in the stream) decides, not what a single line says. Claude
 * repaints only the cells that change, so a line of the stream can be a fragment: "✻ Cooked for
 * 1s" over "* Doing…" arrives as "✻", "C", "oked for 1s" (the "o" stays). The engine keeps the
 * screen across turns (`compact`, with a turn mark), and where the stream's reading finds no turn
 * end, the rebuilt screen is read too.
 */

/** Marks an OSC window title at its place in the stream, so a title can be weighed by position. */
const titleMark = '\uE000';
// ESC ] 0|2 ; title BEL|ST — e.g. "\x1b]0;⠐ Claude Code\x07" (the stream's window title)
const titleOsc = /\x1b\]([02]);([^\x07\x1b]*)(?:\x07|\x1b\\)/g;

/** The stream as lines, each window title kept as a line of its own where it was set. */
const streamLines = (buffer: string): string[] =>
	normalizeStream(
		buffer.replace(titleOsc, (match, _code: string, title: string) => `${match}\n${titleMark}${title}\n`),
	).lines;

// "⠐ Claude Code", "⠂ Fake session title" — a braille dot first: a turn is running.
const busyTitle = /^[\u2800-\u28ff]/;

// "  esc to interrupt · ← for agents", "✢ Thinking… (2s · esc to interrupt)" — the busy footer.
const interruptHint = /\besc to interrupt\b/;
// "✢ Cultivating… (1s · ↓ 1 tokens)", "· Ionizing…", "✻ Ionizing…" — a spinner line (verb and "…").
const spinnerLine = /^[·✢*✶✻✽✳] \S[^…]*…/;
// "✶", "*" — a lone spinner glyph, as a raw stream repaints it between frames.
const spinnerGlyph = /^[·✢*✶✻✽✳]$/;
// "(2s · ↓ 1 tokens)", "✶ 7 · ↑ 11 tokens)" — the spinner's counters, repainted alone.
const tokenCounter = /[↓↑] ?\d+ tokens?\)/;
// "✻ Sautéed for 2s", "✻ Churned for 1m 5s", "✻ Worked for 0s · 2 messages hidden" — a turn ended.
// In a raw stream the duration may be missing, "✻ Churned for": Claude repaints only the cells
// that changed, and "8s" stood there already in the spinner's "(8s · ↓ 20 tokens)".
const turnDone = /^✻ \p{Lu}\p{Ll}+ for(?: \d+(?:\.\d+)?[smhd]\b|$)/u;
// "  ? for shortcuts · ← for agents", "  ⏵⏵ accept edits on (shift+tab to cycle)" — an idle footer.
const idleFooter = /\? for shortcuts|\((?:shift\+tab|⇧⇥) to cycle\)/;

/** How long Claude Code may take to connect cao's MCP server once its prompt is up. */
const caoToolsGraceMs = 20_000;

/** A first-run or permission dialog; each one is also answered in `initialize` where that is safe. */
const dialogLines: readonly RegExp[] = [
	// " Do you want to proceed?", " Do you want to make this edit to notes.md?"
	/^\s*Do you want to (?:proceed|make this edit|create|allow|use this API key)\b/,
	// " ❯ 1. Yes", "  ❯ 2. No (recommended)" — an indented menu with its cursor on an option.
	/^\s+❯ \d+\. \S/,
	// " Esc to cancel · Tab to amend · ctrl+e to explain", " Enter to confirm · Esc to cancel"
	/^\s*(?:Esc to cancel · Tab to amend|Enter to confirm · Esc to (?:cancel|exit))/,
	// " Quick safety check: Is this a project you created or one you trust? (Like your own code, …"
	/Is this a project you created or one you trust\?|Do you trust the files in this folder\?/,
	// "  Detected a custom API key in your environment"
	/^\s*Detected a custom API key in your environment/,
	// " Choose the text style that looks best with your terminal"
	/^\s*Choose the text style that looks best with your terminal/,
	// " Security notes:" … " Press Enter to continue…"
	/^\s*Press Enter to continue/,
	// " WARNING: Claude Code running in Bypass Permissions mode"
	/Claude Code running in Bypass Permissions mode/,
	// " New MCP server found in .mcp.json: notes"
	/New MCP servers? found in \.mcp\.json/,
];
const isDialog = (line: string) => dialogLines.some((pattern) => pattern.test(line));

// "────────…" — a rule of the input box (or a dialog's frame).
const ruleLine = /^\s*─{8,}/;
// "❯ Say hello in two words" (a NBSP may follow "❯") — a prompt line with text.
const promptWithText = /^❯\s+\S/;
// "❯ 1. Yes, I trust this folder" — a menu option, not a message.
const menuOption = /^❯\s+\d+\. /;

/** Whether the last non-blank line before `index` is a rule: the line is inside the input box. */
const inBox = (lines: readonly string[], index: number): boolean => {
	const previous = findLastIndex(lines, (candidate) => candidate.trim() !== '', index);
	return previous !== -1 && ruleLine.test(lines[previous] as string);
};

/**
 * A sent message in the history: "❯ text" at column 0 that is not inside the input box and not a
 * menu option.
 */
const isUserLine = (lines: readonly string[], index: number): boolean => {
	const line = lines[index] as string;
	return promptWithText.test(line) && !menuOption.test(line) && !inBox(lines, index);
};

/** Index of the last sent message before `before`, or -1. */
const lastUserLine = (lines: readonly string[], before = lines.length): number => {
	for (let index = Math.min(before, lines.length) - 1; index >= 0; index--) {
		if (isUserLine(lines, index)) return index;
	}
	return -1;
};

// "❯", "❯ draft not sent yet" — the input box's line.
const boxLine = /^❯(?:\s|$)/;

// "● FAKE-REPLY: hi", "● Bash(touch notes.md)" — the first line of a reply or tool block.
const blockStart = /^● /;
// "● API Error: 400 The model `x` does not exist…" — a turn that ended in an API error.
const apiError = /^● API Error\b/;
// "  ⎿  Interrupted · What should Claude do instead?" — the user stopped the turn.
const interruptedLine = /^\s*⎿\s+Interrupted\b/;
// "  ⎿  Tip: Use Plan Mode to prepare for a complex request…" — a hint under the spinner.
const tipLine = /^\s*⎿\s+Tip:/;

type Evidence = { index: number; line: string };

/** A finished turn: an error when its last block is an API error, else `finished`. */
const turnEnd = (lines: readonly string[], user: number, end: number, finished: Detection): Detection => {
	const start = findLastIndex(lines, (line) => blockStart.test(line), end);
	const first = start > user ? (lines[start] as string) : '';
	return apiError.test(first) ? { status: 'error', rule: 'claude_code.api-error', line: first } : finished;
};
const none: Evidence = { index: -1, line: '' };
const newest = (...candidates: Evidence[]): Evidence =>
	candidates.reduce((best, candidate) => (candidate.index > best.index ? candidate : best), none);

// "  def add(a, b):" — the two columns a block's lines are indented by under its "● ".
const blockIndent = /^ {2}/;

/** The last reply block ("● …" and its indented lines) between `from` and `to`, as plain text. */
const replyBlock = (lines: readonly string[], from: number, to: number): string[] => {
	const start = findLastIndex(lines, (line) => blockStart.test(line), to);
	if (start === -1 || start <= from) return [];
	const body: string[] = [];
	for (const line of lines.slice(start, to)) {
		if (body.length > 0 && (ruleLine.test(line) || turnDone.test(line) || spinnerLine.test(line))) break;
		if (tipLine.test(line)) continue;
		body.push(body.length === 0 ? line.slice(2) : line.replace(blockIndent, ''));
	}
	return body;
};

/** Claude's built-in tools that ask before they run, granted all at once by skipPermissions. */
const askingTools = ['Bash', 'Edit', 'Write', 'NotebookEdit', 'WebFetch', 'WebSearch'];

const mcpConfig = (options: Pick<LaunchOptions, 'profile' | 'caoMcp'>): string => {
	const mcpServers = mcpServersConfig(options, (server) => ({
		type: 'stdio',
		command: server.command,
		args: [...server.args],
		env: { ...server.env },
		...(server.timeoutMs ? { timeout: server.timeoutMs } : {}),
	}));
	return `${JSON.stringify({ mcpServers }, null, 2)}\n`;
};

/** First-run dialogs and the keys that answer them (a digit picks a menu option at once). */
const dialogs: readonly Dialog[] = [
	{
		name: 'trust this folder',
		// " ❯ 1. Yes, I trust this folder" (older: " Do you trust the files in this folder?")
		pattern: /Yes, I trust this folder|Do you trust the files in this folder\?/,
		keys: ['1'],
	},
	{
		name: 'use the API key',
		// "  Do you want to use this API key?" over "    1. Yes" / "  ❯ 2. No (recommended)"
		pattern: /Do you want to use this API key\?/,
		keys: ['1'],
	},
	{
		name: 'text style',
		// " Choose the text style that looks best with your terminal" (the default theme is fine)
		pattern: /Choose the text style that looks best with your terminal/,
		keys: ['Enter'],
	},
	{
		name: 'bypass permissions warning',
		// " WARNING: Claude Code running in Bypass Permissions mode" over " ❯ 1. No, exit" / "   2. Yes, I accept"
		pattern: /Claude Code running in Bypass Permissions mode/,
		keys: ['2'],
	},
	{
		name: 'security notes',
		// " Press Enter to continue…" (under the security notes after onboarding)
		pattern: /^\s*Press Enter to continue/,
		keys: ['Enter'],
	},
];

/** The stream's own reading: the newest evidence, by its position in the stream, decides. */
const detectStream = (buffer: string): Detection => {
	const lines = streamLines(buffer);
	let busy = none;
	let dialog = none;
	let done = none;
	let ready = none;
	let titleReady = none;
	let user = none;
	let interrupted = none;
	lines.forEach((line, index) => {
		if (line.startsWith(titleMark)) {
			const title = line.slice(titleMark.length);
			if (busyTitle.test(title)) busy = { index, line: title };
			else titleReady = { index, line: title };
		} else if (isDialog(line)) dialog = { index, line };
		else if (turnDone.test(line)) done = { index, line };
		else if (interruptHint.test(line) || spinnerLine.test(line) || tokenCounter.test(line))
			busy = { index, line };
		else if (spinnerGlyph.test(line)) busy = { index, line };
		else if (idleFooter.test(line)) ready = { index, line };
		else if (interruptedLine.test(line)) ready = interrupted = { index, line };
		else if (isUserLine(lines, index)) user = { index, line };
	});

	// A dialog drawn after everything else: the title turns "✳" under it, so only the footer, a
	// new turn or a busy sign after it dismisses it.
	if (dialog.index > newest(busy, ready, done, user).index)
		return { status: 'waiting_user_answer', rule: 'claude_code.dialog', line: dialog.line };
	const settledOnScreen = newest(ready, done, dialog);
	const settled = newest(settledOnScreen, titleReady);
	if (busy.index > settled.index) return { status: 'processing', rule: 'claude_code.busy', line: busy.line };
	// A message sent and nothing drawn since: the turn has not shown itself yet (or never will,
	// for a command that starts none), so say nothing and keep the status as it was.
	if (user.index > settled.index)
		return { status: 'unknown', rule: 'claude_code.submitted', line: user.line };
	if (done.index > user.index)
		return turnEnd(lines, user.index, done.index, {
			status: 'completed',
			rule: 'claude_code.turn-done',
			line: done.line,
		});
	// The title turns "✳" a moment before the reply and "✻ … for Ns" are drawn: not yet.
	if (titleReady.index > settledOnScreen.index && busy.index > user.index)
		return { status: 'unknown', rule: 'claude_code.finishing', line: titleReady.line };
	// No "✻ … for Ns" (a user may turn it off): a reply, then the idle footer.
	if (user.index !== -1 && ready.index > user.index && ready.index > busy.index) {
		const start = findLastIndex(lines, (line) => blockStart.test(line), ready.index);
		if (start > user.index && start > interrupted.index)
			return turnEnd(lines, user.index, ready.index, {
				status: 'completed',
				rule: 'claude_code.reply-then-footer',
				line: lines[start] as string,
			});
	}
	if (settledOnScreen.index !== -1)
		return { status: 'idle', rule: 'claude_code.ready', line: settledOnScreen.line };
	// No footer yet: the input box says it is up (the title alone comes before the screen).
	const box = findLastIndex(lines, (line) => boxLine.test(line));
	if (box !== -1 && inBox(lines, box))
		return { status: 'idle', rule: 'claude_code.input-box', line: lines[box] as string };
	return { status: 'unknown', rule: 'claude_code.none', line: settled.line };
};

/** The top rule of the input box at the bottom (the row above "❯ "), or the screen's end. */
const boxTopOf = (rows: readonly string[]): number => {
	const box = findLastIndex(rows, (line) => boxLine.test(line));
	if (box === -1 || !inBox(rows, box)) return rows.length;
	return findLastIndex(rows, (line) => ruleLine.test(line), box);
};

/**
 * A turn read on the screen rebuilt since the input (rows drawn since the turn mark are `fresh`),
 * for what the stream's fragments hide; undefined where the screen adds nothing.
 */
const detectOnScreen = ({ rows, fresh = new Set<number>() }: Screen): Detection | undefined => {
	const drawn = (index: number) => index !== -1 && fresh.has(index);
	// Only the input box and the footer redrawn (the echo of the input, a notice): the turn has not
	// shown itself yet, and the previous turn's "✻ … for Ns" above is not this turn's end.
	const boxTop = boxTopOf(rows);
	if (![...fresh].some((index) => index < boxTop))
		return { status: 'unknown', rule: 'claude_code.turn-unseen', line: '' };
	const user = lastUserLine(rows);
	if (!drawn(user)) return undefined;
	const done = findLastIndex(rows, (line) => turnDone.test(line));
	if (done > user && drawn(done))
		return turnEnd(rows, user, done, {
			status: 'completed',
			rule: 'claude_code.turn-done',
			line: rows[done] as string,
		});
	return undefined;
};

export const claudeCodeProvider: Provider = {
	name: 'claude_code',
	input: {
		// A bracketed paste is taken whole; a short pause keeps Enter out of the paste.
		submitDelayMs: 300,
		enterCount: 1,
		// It does queue messages typed during a turn, but they join the running turn: deliver at ready.
		acceptsInputWhileProcessing: false,
		exit: { text: '/exit' },
	},
	initTimeoutMs: 45_000,

	launchCommand({ profile, configDir, caoMcp, args, env, asRoot }) {
		const files: LaunchFile[] = [{ path: 'mcp.json', content: mcpConfig({ profile, caoMcp }) }];
		const command = ['claude'];
		if (profile?.model) command.push('--model', profile.model);
		if (profile?.systemPrompt) {
			files.push({ path: 'system-prompt.md', content: profile.systemPrompt });
			// Appends to Claude Code's own system prompt (which keeps its tool instructions).
			command.push(`--append-system-prompt-file=${join(configDir, 'system-prompt.md')}`);
		}
		// The "=" form: --mcp-config and --allowedTools take several values and would swallow the
		// arguments after them.
		command.push(`--mcp-config=${join(configDir, 'mcp.json')}`);
		const allowed = new Set(['mcp__cao', ...(profile?.allowedTools ?? [])]);
		// Claude Code's own bypass mode exits at once under root, unless told it runs in a sandbox.
		if (profile?.skipPermissions && (!asRoot || env.IS_SANDBOX === '1'))
			command.push('--dangerously-skip-permissions');
		else if (profile?.skipPermissions) {
			// Under root the nearest: accept edits, and allow every asking tool and every configured
			// MCP server without a prompt.
			command.push('--permission-mode', 'acceptEdits');
			for (const tool of askingTools) allowed.add(tool);
			for (const name of Object.keys(profile.mcpServers ?? {})) allowed.add(`mcp__${name}`);
		}
		command.push(`--allowedTools=${[...allowed].join(',')}`);
		return { command: [...command, ...args], env: {}, files };
	},

	async initialize(context) {
		await answerDialogsUntilIdle(this, context, dialogs);
		// Claude Code connects MCP servers in the background: a prompt sent before cao's server is
		// connected runs without handoff, assign and send_message (anthropics/claude-code#39113).
		await context.waitForCaoTools(caoToolsGraceMs);
	},

	compact(buffer, options) {
		return screenSnapshot(buffer, { ...options, fromTop: true });
	},

	detect(buffer): Detection {
		const mark = buffer.lastIndexOf(turnMark);
		if (mark === -1) return detectStream(buffer);
		// What stood on screen before the input is the previous turn's: only the turn is read.
		const streamed = detectStream(buffer.slice(mark + turnMark.length));
		if (streamed.status !== 'idle' && streamed.status !== 'unknown') return streamed;
		return detectOnScreen(renderScreen(buffer, { fromTop: true })) ?? streamed;
	},

	extractLastReply(screen) {
		const lines = normalizeStream(screen).lines;
		const user = lastUserLine(lines);
		const done = findLastIndex(lines, (line) => turnDone.test(line));
		const end = done > user ? done : lines.length;
		return trimBlankLines(replyBlock(lines, user, end));
	},
};
