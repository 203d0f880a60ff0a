import { join } from 'node:path';
import { type Dialog, answerDialogsUntilIdle } from './initialize.js';
import { renderScreen } from './screen.js';
import { mcpServersConfig } from './mcp-servers.js';
import type { Detection, LaunchFile, McpServer, Provider } from './types.js';

/*
 * GitHub Copilot CLI (`copilot`, npm @github/copilot). Its TUI runs in the alternate screen and
 * repaints by cursor addressing: the footer under the input box is the status line, the dialogs
 * (folder trust, tool permission, ask_user) replace the input box and the footer. The captures in
 * fixtures/captures/copilot_cli/ were recorded from the real CLI 1.0.102 against a loopback model.
 */

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
	return renderScreen(raw, { start }).rows.map((row) => row.replace(scrollbar, ''));
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
	...(server.timeoutMs ? { timeout: server.timeoutMs } : {}),
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

		const mcpFile = join(configDir, 'copilot-mcp.json');
		const mcpServers = mcpServersConfig({ profile, caoMcp }, copilotServer, { caoFirst: true });
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
