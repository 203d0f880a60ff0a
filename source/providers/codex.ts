import { answerDialogsUntilIdle, type Dialog } from './initialize.js';
import { findLastIndex, normalizeStream, trimBlankLines } from './text.js';
import type { AgentProfile, Detection, McpServer, Provider } from './types.js';

/*
 * OpenAI Codex CLI (checked on 0.169; older captures too). What its screen says:
 *   idle        "› Ask Codex to do anything" (the placeholder varies), footer "? for shortcuts"
 *   processing  "• Working (0s • esc to interrupt)" (the header may be a reasoning title instead of
 *               "Working"); the title starts with a braille spinner dot
 *   completed   "• <reply>" then "  Worked for 3s • 06:27" (or "─ Worked for 1m 02s ─")
 *   waiting     "Would you like to run the following command?" … "Press enter to confirm or esc to
 *               cancel"; "Trust this folder?"; "✨ Update available!"; title "[ ! ] Action Required"
 *   error       "■ <message>" ("■ Conversation interrupted" is the user's Esc: idle)
 * While the reply streams the Working line disappears and the screen looks idle with half a reply:
 * only "Worked for" (or the OSC 7501 "state=done" report) ends a turn.
 *
 * Codex reports its state itself (OSC 7501, "program status"): "\x1b]7501;state=working:app=codex\x1b\\",
 * then state=done, blocked (kind=permission), error or idle. In a raw stream these reports, the
 * window title and the screen lines are weighed by position: the newest evidence decides.
 *
 * Older Codex screens ("You …" / "assistant: …" / "❯ ") are understood as well.
 */

/** Marks an OSC report (title or program status) at its place in the stream. */
const oscMark = '\uE000';
// ESC ] 0|2|7501 ; value BEL|ST — e.g. "\x1b]0;⠧ work\x07", "\x1b]7501;state=done:app=codex\x1b\\"
const signalOsc = /\x1b\](0|2|7501);([^\x07\x1b]*)(?:\x07|\x1b\\)/g;
// "\x1b[30;9H" (an absolute cursor move: ratatui draws each changed run of cells after one),
// "\x1b[1;38r" (a scroll region), "\r", "\n" — what moves the cursor to another row.
const cursorTo = /\x1b\[(\d*)(?:;\d*)?H|\x1b\[\d*;?\d*r|[\r\n]/g;

// ESC [ ? 2026 h … ESC [ ? 2026 l — a synchronized update: Codex sends each frame inside one.
const frameBegin = '\x1b[?2026h';
const frameEnd = '\x1b[?2026l';

/**
 * The buffer without a frame still arriving: a terminal shows none of a synchronized update until
 * its end, and half a repaint (old turns drawn, the new one not yet) would tell a stale story.
 */
const completeFrames = (buffer: string): string => {
	const begin = buffer.lastIndexOf(frameBegin);
	return begin > buffer.lastIndexOf(frameEnd) ? buffer.slice(0, begin) : buffer;
};

/**
 * The stream as lines a detector can read. Codex repaints with absolute cursor moves and skips the
 * unchanged blanks between words, so moves within the same row become one space (the line stays
 * whole: "Would you like to run the following command?"), and each OSC report becomes a marked
 * line of its own where it was sent.
 */
const streamLines = (buffer: string): string[] => {
	let row = -1;
	const joined = completeFrames(buffer)
		.replace(signalOsc, (match, code: string, value: string) => `${match}\n${oscMark}${code};${value}\n`)
		.replace(cursorTo, (match, target: string | undefined) => {
			if (!match.endsWith('H')) {
				row = -1; // a line break or a new scroll region: rows move
				return match;
			}
			const next = Number(target || 1);
			if (next === row) return ' ';
			row = next;
			return match;
		});
	return normalizeStream(joined).lines;
};

// "⠧ work", "⠋ Fake session title | work" — a braille spinner dot first: a turn is running.
const busyTitle = /^[\u2800-\u28ff]/;
// "[ ! ] Action Required | work", "[ . ] Action Required | work" — an approval is waiting.
const actionTitle = /Action Required/;
// "state=blocked:app=codex:kind=permission" — the program status report's state.
const programState = /^state=(\w+)/;

// "• Working (0s • esc to interrupt)", "(12s • esc to interrupt)", "• Planning the fix (3s • esc to interrupt)"
const interruptHint = /\besc to interrupt\b/;
// "• Working", "◦ Working", "Working" — the status header, also as a raw stream repaints it alone.
const workingLine = /^(?:[•◦] )?Working\b/;
// "Codex is thinking…" — an older Codex's busy line.
const thinkingLine = /^\s*Codex is thinking/;
// "  Worked for 3s • 06:27", "─ Worked for 1m 02s ──────", "  Worked for <1s • 06:34" — a turn ended.
const workedFor = /^\s*(?:─+ )?Worked for <?\d/;
// "■ The model `x` does not exist or you do not have access to it." — a turn that failed.
const errorCell = /^■ /;
// "■ Conversation interrupted - tell the model what to do differently" — the user pressed Esc.
const interruptedCell = /^■ Conversation interrupted/;
// "Error: failed to initialize environment" — an older Codex's error line.
const legacyError = /^Error: /;
// "  ? for shortcuts", "  ← for agents · ? for shortcuts" — the idle footer.
const idleFooter = /\? for shortcuts/;

type Kind = 'busy' | 'dialog' | 'done' | 'error' | 'ready' | 'title-ready';
type Evidence = { kind: Exclude<Kind, 'title-ready'>; index: number; line: string };

// "7501;state=done:app=codex", "0;⠧ work" — an OSC code, then its value after the first ";".
const reportParts = /;(.*)/s;

/** What an OSC report says: the window title, or Codex's own program status. */
const classifyReport = (report: string): Kind | undefined => {
	const [code, value = ''] = report.split(reportParts);
	if (code !== '7501') {
		if (busyTitle.test(value)) return 'busy';
		return actionTitle.test(value) ? 'dialog' : 'title-ready';
	}
	const state = programState.exec(value)?.[1];
	if (state === 'working') return 'busy';
	if (state === 'blocked') return 'dialog';
	if (state === 'done' || state === 'error') return state;
	return state === 'idle' ? 'ready' : undefined;
};

/** Approval and first-run dialogs. */
const dialogLines: readonly RegExp[] = [
	// "  Would you like to run the following command?", "  Would you like to make the following edits?"
	/^\s*Would you like to (?:run|make|grant|allow)\b/,
	// "  Press enter to confirm or esc to cancel"
	/Press enter to confirm or esc to cancel/,
	// "  Trust this folder? Codex can read, edit, and run files here, …"
	/^\s*Trust this folder\?/,
	// "  enter continue · esc back" — the trust dialog's footer.
	/^\s*enter continue · esc back/,
	// "> You are running Codex in /repo" … "Do you trust the contents of this directory?"
	/Do you trust the contents of this directory\?/,
	// "✨ Update available! 0.142.5 -> 0.144.5"
	/Update available!/,
	// "Press enter to continue" — under the update and trust menus of older versions.
	/^\s*Press enter to continue\s*$/,
	// "Approve this command? [y/n]" — an older Codex's approval question.
	/\[y\/n\]\s*$/,
	// "╭─ Command Approval Required ───╮", "│ [a] Accept  [d] Decline │"
	/Approval Required|\[a\] Accept/,
	// "› 1. Yes, proceed (y)", "› 1. Trust and continue", "› 1. Update now (runs `npm install …`)"
	/^› 1\. (?:Yes|Trust|Update)\b/,
];
const isDialog = (line: string) => dialogLines.some((pattern) => pattern.test(line));

// "7501;" of "7501;state=done:app=codex" — the OSC code of a marked report.
const reportCode = /^\d+;/;

/** The evidence as users read it: a screen line, a title, or "state=done:app=codex". */
const shown = (line: string): string =>
	line.startsWith(oscMark) ? line.slice(oscMark.length).replace(reportCode, '') : line;

/** What a line of the stream says about the state, if anything. */
const classify = (line: string): Kind | undefined => {
	if (line.startsWith(oscMark)) return classifyReport(line.slice(oscMark.length));
	if (isDialog(line)) return 'dialog';
	if (workedFor.test(line)) return 'done';
	if (interruptHint.test(line) || workingLine.test(line) || thinkingLine.test(line)) return 'busy';
	if (interruptedCell.test(line)) return 'ready';
	if (errorCell.test(line) || legacyError.test(line)) return 'error';
	return undefined;
};

// "› Say hello in two words" — a message line (history or composer), not a menu option.
const promptWithText = /^› (?!\d+\. )\S/;
// "• FAKE-REPLY: hi", "◦ Working", "■ …", "✔ You approved codex to run …", "  └ (no output)" — turn cells.
const cellLine = /^\s{0,2}(?:[•◦■✔] |└ )/;
// "You Fix the failing tests" — an older Codex's message line.
const legacyUser = /^You\s/;
// "assistant: Here's the fix." — an older Codex's reply line.
const legacyReply = /^assistant:\s?/;
// "❯ " — an older Codex's prompt.
const legacyPrompt = /^❯\s*$/;

/**
 * Sent messages: "› text" lines with a turn cell after them (the composer at the bottom has only
 * its footer after it), and older Codex's "You text" lines.
 */
const userLines = (lines: readonly string[]): number[] => {
	const found: number[] = [];
	let cellAfter = false;
	for (let index = lines.length - 1; index >= 0; index--) {
		const line = lines[index] as string;
		if (cellLine.test(line)) cellAfter = true;
		else if ((promptWithText.test(line) && cellAfter) || legacyUser.test(line)) found.unshift(index);
	}
	return found;
};

// "• Here is the code you asked for:" — a cell's first line (an agent message or a tool call).
const cellStart = /^[•■] /;
// "  └ Tip: Use /theme to choose a syntax highlighting theme." — a hint under a message.
const tipLine = /^\s*└ Tip:/;
// "› Ask Codex to do anything", "❯ " — the composer, where a turn's output ends on screen.
const composerLine = /^[›❯](?:\s|$)/;

// "  def add(a, b):" — the two columns a cell's lines are indented by under its "• ".
const cellIndent = /^ {2}/;
// "╭─ Command Approval Required ─╮", "│ ./scripts/deploy.sh │" — a boxed modal.
const boxLine = /^[╭│╰]/;

/** The last reply of the turn after `user`: its last cell, or an older Codex's "assistant:" text. */
const lastReply = (lines: readonly string[], user: number): string[] => {
	let end = lines.length;
	const composer = findLastIndex(lines, (line) => composerLine.test(line));
	if (composer > user) end = composer;
	const done = findLastIndex(lines, (line) => workedFor.test(line), end);
	if (done > user) end = done;
	const start = findLastIndex(
		lines,
		(line) => (cellStart.test(line) && !workingLine.test(line)) || legacyReply.test(line),
		end,
	);
	if (start === -1 || start <= user) return [];
	const legacy = legacyReply.test(lines[start] as string);
	const body = [(lines[start] as string).replace(legacy ? legacyReply : cellStart, '')];
	for (const line of lines.slice(start + 1, end)) {
		// A dialog drawn under the cell (an approval) is not part of it.
		if (isDialog(line) || boxLine.test(line)) break;
		if (tipLine.test(line)) continue;
		body.push(legacy ? line : line.replace(cellIndent, ''));
	}
	return body;
};

/** A TOML value for a `-c key=value` override (JSON strings are valid TOML basic strings). */
const toml = (value: string | readonly string[] | Readonly<Record<string, string>>): string => {
	if (typeof value === 'string') return JSON.stringify(value);
	if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
	const entries = Object.entries(value as Record<string, string>);
	return `{ ${entries.map(([key, item]) => `${JSON.stringify(key)} = ${JSON.stringify(item)}`).join(', ')} }`;
};

// "." of "my.server" — a character a TOML bare key cannot have ("my.server" becomes "my_server").
const notBare = /[^A-Za-z0-9_-]/g;
const bareKey = (name: string) => name.replace(notBare, '_');

/** `-c` overrides that add one stdio MCP server as `[mcp_servers.<name>]`. */
const mcpOverrides = (name: string, server: McpServer, approve: boolean): string[] => {
	const key = `mcp_servers.${bareKey(name)}`;
	const overrides = [`${key}.command=${toml(server.command)}`, `${key}.args=${toml(server.args)}`];
	if (Object.keys(server.env).length > 0) overrides.push(`${key}.env=${toml(server.env)}`);
	if (server.timeoutMs) overrides.push(`${key}.tool_timeout_sec=${Math.ceil(server.timeoutMs / 1000)}`);
	// Without it an MCP call asks first (and fails outright under approval_policy="never").
	if (approve) overrides.push(`${key}.default_tools_approval_mode="approve"`);
	return overrides;
};

// "mcp__docs" (a whole server) or "mcp__docs__search" (one tool) — an allowed MCP tool.
const allowedMcp = /^mcp__([^_](?:[^_]|_(?!_))*)(?:__(.+))?$/;

/** The `-c` overrides for a profile's MCP servers and its allowed MCP tools (Codex has no allow list of its own tools). */
const profileOverrides = (profile: AgentProfile | null): string[] => {
	const servers = profile?.mcpServers ?? {};
	const wholeServers = new Set<string>();
	const tools: string[] = [];
	for (const tool of profile?.allowedTools ?? []) {
		const match = allowedMcp.exec(tool);
		if (!match) continue;
		const [, server = '', name] = match;
		if (name) tools.push(`mcp_servers.${bareKey(server)}.tools.${bareKey(name)}.approval_mode="approve"`);
		else wholeServers.add(server);
	}
	const overrides = Object.entries(servers).flatMap(([name, server]) =>
		mcpOverrides(name, server, profile?.skipPermissions === true || wholeServers.has(name)),
	);
	return [...overrides, ...tools];
};

// "7501;state=done:app=codex" — a program status report, as `streamLines` marks it.
const reportLine = /^\uE0007501;state=(working|blocked|done|error|idle)\b/;

/**
 * The state from Codex's own reports, when the stream has any: the last report decides, unless a
 * dialog was drawn after it. `afterInput`: an "idle" report right after input, before the turn
 * showed any work, is the composer taking the paste, not the end of anything.
 */
const fromReports = (lines: readonly string[], afterInput: boolean): Detection | undefined => {
	let report = -1;
	let state = '';
	let worked = false;
	let dialog = -1;
	let busyTitleAt = -1;
	let plainTitleAt = -1;
	for (const [index, line] of lines.entries()) {
		const match = reportLine.exec(line);
		if (match) {
			report = index;
			state = match[1] as string;
			if (state === 'working') worked = true;
			continue;
		}
		const kind = classify(line);
		if (line.startsWith(oscMark)) {
			if (kind === 'busy') busyTitleAt = index;
			else if (kind === 'title-ready') plainTitleAt = index;
		} else if (kind === 'dialog') dialog = index;
	}
	if (report === -1) return undefined;
	const said = shown(lines[report] as string);
	const lastLine = (pattern: RegExp) => {
		const index = findLastIndex(lines, (line) => pattern.test(line));
		return index > report ? (lines[index] as string) : said;
	};
	if (dialog > report)
		return { status: 'waiting_user_answer', rule: 'codex.dialog', line: lines[dialog] as string };
	switch (state) {
		case 'blocked':
			return { status: 'waiting_user_answer', rule: 'codex.blocked', line: said };
		case 'working':
			// The title loses its spinner a moment before the "done" report: not yet.
			return plainTitleAt > Math.max(report, busyTitleAt)
				? { status: 'unknown', rule: 'codex.finishing', line: shown(lines[plainTitleAt] as string) }
				: { status: 'processing', rule: 'codex.working', line: said };
		case 'done':
			return { status: 'completed', rule: 'codex.done', line: lastLine(workedFor) };
		case 'error':
			return { status: 'error', rule: 'codex.error', line: lastLine(errorCell) };
		default:
			return afterInput && !worked && busyTitleAt === -1
				? { status: 'unknown', rule: 'codex.input-pending', line: said }
				: { status: 'idle', rule: 'codex.idle', line: lastLine(interruptedCell) };
	}
};

/** The state from the screen alone (a captured screen, or a Codex that sends no reports). */
const fromScreen = (lines: readonly string[]): Detection => {
	let latest: Evidence | undefined;
	let done = -1;
	let titleReady = -1;
	for (const [index, line] of lines.entries()) {
		const kind = classify(line);
		if (!kind) continue;
		if (kind === 'title-ready') {
			titleReady = index;
			continue;
		}
		latest = { kind, index, line: shown(line) };
		if (kind === 'done') done = index;
	}
	const user = userLines(lines).at(-1) ?? -1;

	if (latest?.kind === 'dialog')
		return { status: 'waiting_user_answer', rule: 'codex.dialog', line: latest.line };
	// The title loses its spinner a moment before "Worked for" is drawn: not yet.
	if (latest?.kind === 'busy')
		return titleReady > latest.index
			? { status: 'unknown', rule: 'codex.finishing', line: shown(lines[titleReady] as string) }
			: { status: 'processing', rule: 'codex.busy', line: latest.line };
	if (latest && latest.index > user && latest.kind !== 'done')
		return latest.kind === 'error'
			? { status: 'error', rule: 'codex.error', line: latest.line }
			: { status: 'idle', rule: 'codex.ready', line: latest.line };
	if (done > user) return { status: 'completed', rule: 'codex.worked-for', line: lines[done] as string };
	const turn = lines.slice(user + 1);
	if (user !== -1 && turn.some((line) => legacyReply.test(line))) {
		// An older Codex: "assistant: …" then its "❯" prompt ends a turn.
		const last = turn.findLast((line) => line.trim() !== '') ?? '';
		if (legacyPrompt.test(last))
			return { status: 'completed', rule: 'codex.legacy-reply-then-prompt', line: last };
	}
	// A message and turn cells after it, nothing newer that ends the turn: the reply is still
	// streaming (Codex hides its Working line meanwhile).
	if (user !== -1 && turn.some((line) => cellLine.test(line) || legacyReply.test(line)))
		return { status: 'processing', rule: 'codex.streaming', line: lines[user] as string };
	if (latest)
		return { status: latest.kind === 'error' ? 'error' : 'idle', rule: 'codex.ready', line: latest.line };
	const prompt = findLastIndex(lines, (line) => composerLine.test(line) || idleFooter.test(line));
	if (prompt !== -1) return { status: 'idle', rule: 'codex.prompt', line: lines[prompt] as string };
	return { status: 'unknown', rule: 'codex.none', line: '' };
};

/** How long `initialize` waits for a dialog or Codex's own "idle" report once the screen looks idle. */
const settleMs = 3_000;

/** First-run dialogs and the keys that answer them. */
const dialogs: readonly Dialog[] = [
	{
		name: 'trust this folder',
		// "  Trust this folder? Codex can read, …", "› 1. Trust and continue" (the selected line stays
		// whole in a raw repaint), older "Do you trust the contents of this directory?" / "1. Yes, continue"
		pattern: /Trust this folder\?|^› 1\. Trust and continue|Do you trust the contents of this directory\?/,
		keys: ['Enter'],
	},
	{
		name: 'update available',
		// "✨ Update available! 0.168.0 -> 0.169.0", "› 1. Update now (runs `npm install -g @openai/codex`)"
		// over "  2. Skip": Down then Enter skips it, never updates from here.
		pattern: /Update available!|^› 1\. Update now/,
		keys: ['Down', 'Enter'],
	},
];

export const codexProvider: Provider = {
	name: 'codex',
	input: {
		// The composer takes a bracketed paste whole; a short pause keeps Enter apart from it.
		submitDelayMs: 300,
		enterCount: 1,
		// Enter during a turn steers the running turn: deliver only when it is ready.
		acceptsInputWhileProcessing: false,
		exit: { text: '/quit' },
	},
	initTimeoutMs: 45_000,

	launchCommand({ profile, caoMcp, args }) {
		const overrides = [
			// Never offer an update from an orchestrated terminal.
			'check_for_update_on_startup=false',
			...mcpOverrides('cao', caoMcp, true),
			...profileOverrides(profile),
		];
		// Appended to Codex's own instructions as a developer message (it keeps its tool instructions).
		if (profile?.systemPrompt) overrides.push(`developer_instructions=${toml(profile.systemPrompt)}`);
		// --no-alt-screen: the history goes to the terminal's scrollback, so a reply longer than the
		// screen can be captured whole.
		const command = ['codex', '--no-alt-screen'];
		if (profile?.model) command.push('--model', profile.model);
		if (profile?.skipPermissions) command.push('--dangerously-bypass-approvals-and-sandbox');
		for (const override of overrides) command.push('-c', override);
		return { command: [...command, ...args], env: {} };
	},

	async initialize(context) {
		const deadline = Date.now() + context.timeoutMs;
		const left = () => Math.max(1, deadline - Date.now());
		const status = (buffer: string) => this.detect(buffer, { afterInput: false, profile: null });
		for (let round = 0; round <= dialogs.length; round++) {
			await answerDialogsUntilIdle(this, { ...context, timeoutMs: left() }, dialogs);
			// Codex draws its composer a moment before it checks the folder's trust: idle is sure once
			// Codex reports it (OSC 7501); a Codex that sends no reports gets a short quiet spell instead.
			const settled = await context
				.waitForOutput(
					({ buffer }) => {
						const { status: now, rule } = status(buffer);
						return now === 'waiting_user_answer' || (now === 'idle' && rule === 'codex.idle');
					},
					Math.min(settleMs, left()),
				)
				.catch(() => undefined);
			if (!settled || status(settled.buffer).status !== 'waiting_user_answer') return;
		}
	},

	detect(buffer, context): Detection {
		const lines = streamLines(buffer);
		return fromReports(lines, context.afterInput) ?? fromScreen(lines);
	},

	extractLastReply(screen) {
		const lines = normalizeStream(screen).lines;
		const user = userLines(lines).at(-1) ?? -1;
		return trimBlankLines(lastReply(lines, user));
	},
};
