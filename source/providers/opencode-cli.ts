import { join } from 'node:path';
import { answerDialogsUntilIdle } from './initialize.js';
import { renderScreen, screenSnapshot } from './screen.js';
import { mcpServersConfig } from './mcp-servers.js';
import type { Detection, LaunchOptions, McpServer, Provider } from './types.js';

/*
 * OpenCode (npm `opencode-ai`, a Bun binary on OpenTUI) draws a full-screen TUI on the alternate
 * screen and repaints only the cells that changed, each one placed with an absolute cursor move
 * (`ESC[row;colH`): its raw stream has no line breaks at all, and a frame may write just "· 3.4s"
 * after a line drawn seconds earlier. Reading that stream line by line cannot work, so detection
 * first replays it on a small virtual screen (`renderScreen`, screen.ts) and reads the rows.
 */

// ---------------------------------------------------------------------------------------------
// OpenCode's screen
// ---------------------------------------------------------------------------------------------

// "   ⬝⬝⬝■■■■■  esc interrupt        tab agents  ctrl+p commands" — the footer while a turn runs
// (the bar moves; while retrying: "⬝⬝⬝⬝■■■■ Cannot connect to API: … [retrying in 10s attempt #4]").
const busyBar = /[■⬝]{6,}/;
// "■■⬝⬝⬝⬝⬝⬝  esc interrupt" — the same footer's hint.
const interruptHint = /\besc interrupt\b/;
// "  ┃  △ Permission required" — a tool waits for Allow once / Allow always / Reject;
// "  ┃  △ Always allow" — the confirmation after "Allow always".
const permissionTitle = /△\s+(?:Permission required|Always allow)\b/;
// "  ┃   Allow once   Allow always   Reject        ctrl+f fullscreen  ⇆ select  enter confirm"
const permissionButtons = /Allow once\s+Allow always\s+Reject\b/;
// "  ↑↓ select  enter submit  esc dismiss" — the question tool's footer (the model asks the user).
const questionFooter = /\benter (?:submit|confirm|toggle)\b.*\besc dismiss\b/;
// "     ▣  Build · Fake Model · 4.6s" — the end of an assistant message (the duration comes once the
// turn is over; "· 850ms", "· 2m 5s", "· 1h 3m"); "▣  Build · Big Pickle" while it runs.
const messageMark = /▣\s+\S/;
// "· 4.6s" / "· 850ms" / "· 2m 5s" / "· 1h 3m" / "· 1d 2h" closing the ▣ line (sidebar text may
// follow after a gap).
const finishedIn = /·\s+(?:\d+(?:\.\d+)?m?s|\d+[mhd] \d+[smh])(?=\s{2,}|$)/;
// "▣  Build · Fake Model · interrupted" — the user pressed esc (twice).
const interruptedMark = /·\s+interrupted(?=\s{2,}|$)/;
// "  ┃  Say hello in 3 words" — a row of a bordered block in the message column: a user message, a
// thought, a shell tool's output, an error, the prompt box. (A toast's or the home prompt's bar
// stands further right.)
const blockRow = /^ {0,4}┃/;
// "┃  Ask anything… "Fix a TODO in the codebase"" (1.18) / "Ask anything... "…"" (1.14) — the
// prompt's placeholder on the home screen.
const askPlaceholder = /Ask anything(?:…|\.\.\.)/;
// "  tab agents  ctrl+p commands" — the footer hint of the idle prompt.
const commandsHint = /\bctrl\+p commands\b/;
// "  ╹▀▀▀▀▀▀▀▀▀▀▀" — the bottom edge of the prompt box: its right end is the right edge of the
// message column (a wide screen puts a sidebar right of it).
const promptBoxBottom = /╹▀{10,}/;
// "┃  Build · Fake Model Fake" — the prompt box's agent · model · provider line.
const promptAgentLine = /^\S.* · \S/;
// "                                                      Context" / "…  LSP" — headings of the
// sidebar (alone on their row), for when the prompt box is not on screen.
const sidebarHeading = /^\s{20,}(?:Context|LSP|MCP)$/;
// "     → Read /etc/hostname", "     ✱ Glob "**/*.ts" (3 matches)", "     ⚙ cao_handoff …",
// "     ⠋ Read /etc/hostname" — a tool shown on one line, not part of the reply text.
const inlineTool = /^\s*(?:[→←✱⚙◈%~✓✗]|[\u2800-\u28ff]) \S/;
// "   " — a gap of three spaces or more: the sidebar, right-aligned hints.
const wideGap = /\s{3,}/g;
// "x" — any row with text at all.
const nonBlank = /\S/;
// "\x1b[49;4H" — OpenTUI places every run of cells with an absolute cursor move.
const cellMove = /\x1b\[\d+;\d+H/;

/**
 * OpenTUI never writes a line break: in its raw stream one can only be where the status buffer
 * joined the turn's kept head to its newest bytes. What follows it up to the next escape is the
 * rest of a cut sequence or cells whose cursor move was cut off: they are dropped.
 */
const dropJoins = (raw: string): string =>
	// "\n8;5;232m■■" — the join and what follows it up to the next escape.
	cellMove.test(raw) && !raw.includes('\r') ? raw.replace(/\n[^\x1b]*/g, '') : raw;

/** The right edge of the message column: a wide screen puts a sidebar right of it. */
const messageEdge = (lines: readonly string[]): number => {
	let edge = 0;
	for (const line of lines) {
		const match = promptBoxBottom.exec(line);
		if (match) edge = Math.max(edge, match.index + match[0].length);
	}
	if (edge) return edge;
	// The sidebar's text stands two columns into it.
	const heading = lines.find((line) => sidebarHeading.test(line));
	return heading ? heading.search(nonBlank) - 2 : 0;
};

/** The rows with the sidebar cut off (it repeats text and holds no status of the turn). */
const messageColumn = (lines: readonly string[]): string[] => {
	const edge = messageEdge(lines);
	return edge > 0 ? lines.map((line) => line.slice(0, edge).trimEnd()) : [...lines];
};

/**
 * The ▣ line of a row: "▣  Build · Fake Model · 4.6s", without sidebar text further right. On a
 * screen replayed from a turn's stream the cells that did not change are blank: "▣      · 4.6s".
 */
const messageMarkOf = (line: string): string => {
	const rest = line.slice(line.indexOf('▣'));
	const end = finishedIn.exec(rest) ?? interruptedMark.exec(rest);
	// "▣  Build · Big Pickle         LSP" — the sidebar starts after a wide gap not followed by "·".
	const mark = end ? rest.slice(0, end.index + end[0].length) : (rest.split(/\s{3,}(?=\S)(?!·)/)[0] ?? '');
	return mark.replace(wideGap, '  ').trimEnd();
};

/** A row as evidence: trimmed, its wide gaps (sidebar, right-aligned hints) narrowed. */
const evidence = (line: string) => line.trim().replace(wideGap, '  ');

const lastIndex = (lines: readonly string[], test: (line: string) => boolean, before = lines.length) => {
	for (let index = Math.min(before, lines.length) - 1; index >= 0; index--) {
		if (test(lines[index] as string)) return index;
	}
	return -1;
};

type Block = { start: number; end: number; text: string[] };

/** The bordered blocks of the message column, top to bottom, without the prompt box. */
const blocksOf = (lines: readonly string[]): Block[] => {
	const blocks: Block[] = [];
	for (let index = 0; index < lines.length; index++) {
		if (!blockRow.test(lines[index] as string)) continue;
		const start = index;
		while (index + 1 < lines.length && blockRow.test(lines[index + 1] as string)) index++;
		const text = lines
			.slice(start, index + 1)
			// "  ┃  Say hello" → "Say hello"
			.map((row) => row.replace(/^\s*┃\s?/, '').trim())
			.filter(Boolean);
		blocks.push({ start, end: index, text });
	}
	const last = blocks.at(-1);
	const boxEdge = last
		? lines.slice(last.end + 1, last.end + 3).some((line) => promptBoxBottom.test(line))
		: false;
	if (last && (boxEdge || promptAgentLine.test(last.text.at(-1) ?? ''))) blocks.pop();
	return blocks.filter((block) => block.text.length > 0);
};

/** An error block ends a turn: after the user's message, nothing but blank rows below it. */
const errorOf = (turn: readonly Block[]): string | undefined => {
	const last = turn.at(-1);
	if (turn.length < 2 || !last || last.text[0]?.startsWith('Thinking:')) return undefined;
	return last.text.at(-1);
};

const detectOpenCode = (buffer: string, afterInput: boolean): Detection => {
	const screen = renderScreen(dropJoins(buffer));
	const full = screen.rows;
	const lines = messageColumn(full);
	const found = (pattern: RegExp, rows: readonly string[] = full) => {
		const index = lastIndex(rows, (line) => pattern.test(line));
		return index === -1 ? undefined : evidence(rows[index] as string);
	};

	// A dialog replaces the prompt and stops the bar: the screen shows it until it is answered.
	const dialog = found(permissionTitle) ?? found(permissionButtons) ?? found(questionFooter);
	if (dialog) {
		const rule = questionFooter.test(dialog) ? 'opencode_cli.question' : 'opencode_cli.permission';
		return { status: 'waiting_user_answer', rule, line: dialog };
	}

	const busy = found(busyBar) ?? found(interruptHint);
	if (busy) return { status: 'processing', rule: 'opencode_cli.busy-footer', line: busy };

	// No bar: no turn runs. The newest ▣ line says how the last one ended, unless a newer turn
	// (its user message) stands below it, whose ▣ line was drawn before the buffer's window.
	const mark = lastIndex(lines, (line) => messageMark.test(line));
	const blocks = blocksOf(lines);
	const newer = blocks.filter((block) => block.start > mark);
	// After a turn mark, until the turn draws in the message column (its own message scrolls the
	// view) the ▣ line on screen is the previous turn's: typing in the input box is all there is.
	const fresh = screen.fresh;
	if (mark !== -1 && fresh && ![...fresh].some((row) => row <= mark))
		return {
			status: 'unknown',
			rule: 'opencode_cli.turn-unseen',
			line: messageMarkOf(lines[mark] as string),
		};
	if (mark !== -1 && newer.length === 0) {
		const markLine = messageMarkOf(lines[mark] as string);
		if (finishedIn.test(markLine))
			return { status: 'completed', rule: 'opencode_cli.finished', line: markLine };
		if (interruptedMark.test(markLine))
			return { status: 'idle', rule: 'opencode_cli.interrupted', line: markLine };
		// Over without a final answer: e.g. "┃  Cannot connect to API: Unable to connect. …".
		const previous = lastIndex(lines, (line) => messageMark.test(line), mark);
		const error = errorOf(blocks.filter((block) => block.start > previous && block.end < mark));
		if (error) return { status: 'error', rule: 'opencode_cli.turn-error', line: error };
		return { status: 'idle', rule: 'opencode_cli.no-answer', line: markLine };
	}
	if (newer.length > 0) {
		const error = errorOf(newer);
		if (error) return { status: 'error', rule: 'opencode_cli.turn-error', line: error };
		return { status: 'unknown', rule: 'opencode_cli.turn-unseen', line: newer.at(-1)?.text.at(-1) ?? '' };
	}

	const prompt = found(askPlaceholder) ?? found(commandsHint);
	// Right after input the home screen still shows its empty prompt for a frame, before the
	// session view with the bar replaces it: not idle (that would close the latch on the turn).
	if (prompt && afterInput) return { status: 'unknown', rule: 'opencode_cli.turn-starting', line: prompt };
	if (prompt) return { status: 'idle', rule: 'opencode_cli.prompt', line: prompt };
	return { status: 'unknown', rule: 'opencode_cli.none', line: found(nonBlank) ?? '' };
};

/**
 * The agent's last reply: the text of the newest turn, between its last bordered block (the user's
 * message, a thought, a tool's output) and its ▣ line; tools shown on one line left out.
 */
const extractOpenCode = (screen: string): string => {
	const lines = messageColumn(renderScreen(dropJoins(screen)).rows);
	const mark = lastIndex(lines, (line) => messageMark.test(line));
	if (mark === -1) return '';
	const start = lastIndex(lines, (line) => blockRow.test(line) || messageMark.test(line), mark) + 1;
	const body = lines.slice(start, mark).filter((line) => !inlineTool.test(line));
	while (body.length && !body[0]?.trim()) body.shift();
	while (body.length && !body.at(-1)?.trim()) body.pop();
	const indent = Math.min(
		...body.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length),
	);
	return body
		.map((line) => line.slice(Number.isFinite(indent) ? indent : 0).trimEnd())
		.join('\n')
		.trim();
};

// ---------------------------------------------------------------------------------------------
// Launching
// ---------------------------------------------------------------------------------------------

// "mcp__github__get_issue" / "mcp__github" — an MCP tool as Claude Code names it.
export const claudeMcpTool = /^mcp__(.+?)(?:__(.+))?$/;
// "@github/get_issue" / "@github" — an MCP tool (or a whole server) as Q and Kiro name it.
export const atMcpTool = /^@([\w.-]+)(?:\/(.+))?$/;

/** Generic tool names (as other CLIs spell them) → OpenCode's permission keys. */
const toolPermissions: Readonly<Record<string, readonly string[]>> = {
	bash: ['bash'],
	shell: ['bash'],
	execute_bash: ['bash'],
	execute_cmd: ['bash'],
	read: ['read', 'list', 'glob', 'grep'],
	fs_read: ['read', 'list', 'glob', 'grep'],
	write: ['edit'],
	fs_write: ['edit'],
	edit: ['edit'],
	web_fetch: ['webfetch'],
	fetch: ['webfetch'],
};

/**
 * A permission key for an allowed tool: OpenCode names MCP tools "<server>_<tool>", so
 * `mcp__github__get_issue` and `@github/get_issue` become "github_get_issue", `@github` "github_*".
 */
const permissionKeys = (tool: string): readonly string[] => {
	const claude = claudeMcpTool.exec(tool);
	if (claude) return [`${claude[1]}_${claude[2] ?? '*'}`];
	const at = atMcpTool.exec(tool);
	if (at) return [`${at[1]}_${at[2] ?? '*'}`];
	return toolPermissions[tool.toLowerCase()] ?? [tool];
};

// "Code Reviewer" → "cao-code-reviewer": runs of other characters become one dash.
const agentNameOf = (profile: string) => `cao-${profile.replace(/[^A-Za-z0-9_-]+/g, '-').toLowerCase()}`;

const localServer = (server: McpServer) => ({
	type: 'local',
	command: [server.command, ...server.args],
	environment: { ...server.env },
	enabled: true,
});

/** The opencode.json cao adds (OPENCODE_CONFIG merges it over the user's global config). */
export const openCodeConfig = (options: LaunchOptions, promptPath?: string) => {
	const profile = options.profile;
	// cao's own tools (handoff, assign, send_message) never wait for a yes.
	const permission: Record<string, string> = { 'cao_*': 'allow' };
	for (const raw of profile?.allowedTools ?? []) {
		const tool = raw.trim();
		if (!tool) continue;
		for (const key of tool === '*' ? ['*'] : permissionKeys(tool)) permission[key] = 'allow';
	}
	if (profile?.skipPermissions) permission['*'] = 'allow';
	const config: Record<string, unknown> = {
		$schema: 'https://opencode.ai/config.json',
		mcp: mcpServersConfig(options, localServer),
		permission,
	};
	if (profile) {
		config.agent = {
			[agentNameOf(profile.name)]: {
				description: `cao-tui agent profile ${profile.name}`,
				mode: 'primary',
				...(promptPath ? { prompt: `{file:${promptPath}}` } : {}),
				...(profile.model ? { model: profile.model } : {}),
				permission,
			},
		};
	}
	return config;
};

const openCodeDatabase = 'opencode.db';

// The parts (step-start, text, tool, step-finish) of the newest assistant message: after tool
// calls, the message with the final answer. Tables as of OpenCode 1.18 (message, part; JSON data).
const lastAssistantParts = `SELECT data FROM part WHERE message_id = (
	SELECT id FROM message WHERE json_extract(data, '$.role') = 'assistant'
	ORDER BY time_created DESC, id DESC LIMIT 1
) ORDER BY time_created, id`;

/** The text parts of a message, as the model wrote them (markdown, code fences and all). */
const replyOfParts = (rows: readonly Record<string, unknown>[]): string =>
	rows
		.map((row) => JSON.parse(String(row.data)) as { type?: string; text?: string; synthetic?: boolean })
		.filter((part) => part.type === 'text' && typeof part.text === 'string' && !part.synthetic)
		.map((part) => part.text)
		.join('\n')
		.trim();

export const opencodeCliProvider: Provider = {
	name: 'opencode_cli',
	input: {
		// The prompt takes a bracketed paste at once; an Enter right behind it can land inside it.
		submitDelayMs: 300,
		enterCount: 1,
		// Messages sent while it works are queued ("QUEUED") and run after the turn.
		acceptsInputWhileProcessing: true,
		exit: { text: '/exit' },
	},
	// The first start installs its plugin packages, MCP servers start before the prompt.
	initTimeoutMs: 90_000,

	launchCommand(options) {
		const profile = options.profile;
		const configPath = join(options.configDir, 'opencode.json');
		const promptPath = profile?.systemPrompt ? join(options.configDir, 'agent-prompt.md') : undefined;
		const files = [
			{ path: configPath, content: `${JSON.stringify(openCodeConfig(options, promptPath), null, '\t')}\n` },
			...(promptPath && profile?.systemPrompt ? [{ path: promptPath, content: profile.systemPrompt }] : []),
		];
		const command = [
			'opencode',
			// "provider/model", e.g. anthropic/claude-sonnet-4-5.
			...(profile?.model ? ['--model', profile.model] : []),
			...(profile ? ['--agent', agentNameOf(profile.name)] : []),
			...options.args,
		];
		return {
			command,
			env: {
				// Merged over the user's global config: cao's MCP server, the agent, permissions.
				OPENCODE_CONFIG: configPath,
				// An update would restart the TUI under cao's feet.
				OPENCODE_DISABLE_AUTOUPDATE: '1',
				// Sessions in a database of this terminal's own: its last reply is this agent's.
				OPENCODE_DB: join(options.configDir, openCodeDatabase),
			},
			files,
		};
	},

	replyStore: (configDir) => ({
		database: join(configDir, openCodeDatabase),
		query: lastAssistantParts,
		reply: replyOfParts,
	}),

	async initialize(context) {
		// OpenCode has no first-run dialog (no folder trust, no key confirmation); its permission
		// prompts belong to the user, never answered here.
		await answerDialogsUntilIdle(this, context, []);
	},

	detect(buffer, context): Detection {
		return detectOpenCode(buffer, context.afterInput);
	},

	compact(buffer, options) {
		return screenSnapshot(dropJoins(buffer), options);
	},

	extractLastReply(screen) {
		return extractOpenCode(screen);
	},
};
