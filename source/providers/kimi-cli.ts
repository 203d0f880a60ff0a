import { join } from 'node:path';
import { renderScreen } from './screen.js';
import { answerDialogsUntilIdle } from './initialize.js';
import { mcpServersConfig } from './mcp-servers.js';
import type { Detection, LaunchFile, McpServer, Provider } from './types.js';

/*
 * Kimi Code CLI (`kimi`, Python, MoonshotAI/kimi-cli). Two generations of its shell UI:
 * - the older one: a prompt line "💫" / "user@dir✨" and a status line "23:14  yolo  agent (…)";
 * - the newer prompt_toolkit one: the turn's output, a live area (spinners, tool calls, the
 *   approval or question panel) above an input box "── input ──", a toolbar under it.
 * It repaints by relative cursor moves, so detection reads a rebuilt screen (renderScreen).
 */

// "✨ Create a Python function called greet", "💫 create a greet function", "user@my-app💫 do something"
// — a prompt that was sent: the prompt symbol (agent ✨, thinking 💫, plan 📋) and the text.
const echoLine = /^(?:[\w.-]+@[\w.~/-]+)?(?:✨|💫|📋) \S/;
// "💫" or "user@my-app✨" — the older UI's empty prompt: the turn is over.
const emptyPrompt = /^(?:[\w.-]+@[\w.~/-]+)?(?:✨|💫|📋)$/;
// "── input ──────────", "╌╌ input · plan ╌╌╌╌╌", "── input · 2 queued ──" — the input box's top edge.
const inputHeader = /^[─╌]{2} input\b/;
// "yolo  agent (Kimi-k2.6 ●)  /tmp/kimi_probe  @: mention files | ctrl-x: toggle mode",
// "23:15  yolo  agent (kimi-for-coding, thinking)  ctrl-x: toggle mode          context: 5.0%"
// — the toolbar under the prompt.
const toolbarLine = /^(?:\d{1,2}:\d{2} {2})?(?:(?:yolo|afk|plan) {2})*(?:agent|shell)\b/;
// "⠧ Thinking... 2s · 114 tokens", "⠋ Composing... 1s · 20 tokens", "⠙ Using Shell (ls -la)",
// "⠋ Connecting to MCP servers...", "🌒" — the live area's spinners (rich "dots" and "moon").
const spinnerLine = /^(?:[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|🌑|🌒|🌓|🌔|🌕|🌖|🌗|🌘)/;
// "Thinking ..  3s · 120 tokens · 40 tok/s" — the compact thinking indicator (no glyph).
const thinkingLine = /^Thinking\b.*\btokens?\b/;
// "o Compacting..." — the balloon spinner while the context is compacted.
const compactingLine = /^\S? ?Compacting\.\.\./;
// "│  Shell is requesting approval to run shell command:          │" — the approval panel's request.
const approvalRequest = /is requesting approval to/;
// "│ → [1] Approve once  │", "│   [2] Approve for this session  │" — its choices.
const approvalChoice = /\[\d\] Approve once|Approve for this session/;
// "╭─ question ──────────╮" — the AskUserQuestion panel's title.
const questionTitle = /^╭─ question\b/;
// "│ ? Which database should the service use?   │" — the question it asks.
const questionLine = /^│ \? \S/;
// "• Here is the function:", "• Used Shell (ls -la)" — the first line of an output block.
const blockLine = /^• /;
// "• Used Shell (ls -la)", "• Using ReadFile (main.py)" — a tool call block.
const toolLine = /^• (?:Used|Using) \S/;
// "yolo  agent (Kimi-k2.6 ●)  /tmp/kimi_probe" — the newer UI's toolbar (the older one starts with
// the time and shows no model in parentheses after the mode).
const newerToolbar = /^(?:(?:yolo|afk|plan) {2})*(?:agent|shell) \(/;
// "LLM provider error: Error code: 500", "Network connection failed: …", "Error: API connection failed"
// — a turn that failed.
const errorLine =
	/^(?:Error:|LLM not set|LLM provider error:|Network connection failed:|Request timed out:|Authorization failed\.|Membership expired|Quota exceeded|The server returned an empty response|Unexpected error:|Unknown error:|Max number of steps reached)/;
// "Interrupted by user" — the turn was cancelled (Esc, Ctrl-C).
const interruptedLine = /^Interrupted by user$/;
// "│  Shell is requesting approval to run shell command:     │" — a panel row's borders.
const panelBorders = /^│\s*|\s*│$/g;
// "  def greet(name):" — the indent of an output block's lines under its "• " (two columns).
const blockIndent = /^ {2}/;
// "\n\nreply\n  \n" — blank lines before and white space after a reply.
const outerSpace = /^\n+|\s+$/g;

const lastIndexWhere = (rows: readonly string[], test: (row: string) => boolean, before = rows.length) => {
	for (let index = Math.min(before, rows.length) - 1; index >= 0; index--) {
		if (test(rows[index] as string)) return index;
	}
	return -1;
};

const isLive = (row: string) => spinnerLine.test(row) || thinkingLine.test(row) || compactingLine.test(row);

/** Where the newest turn's output ends: the input box, else the older UI's empty prompt. */
const promptAfter = (rows: readonly string[], echo: number): number => {
	const header = lastIndexWhere(rows, (row) => inputHeader.test(row));
	if (header > echo) return header;
	const prompt = lastIndexWhere(rows, (row) => emptyPrompt.test(row));
	return prompt > echo ? prompt : -1;
};

/** What a finished turn left: an error, an interruption, a reply, or nothing. */
const outcome = (turn: readonly string[], line: string): Detection => {
	const reply = lastIndexWhere(turn, (row) => blockLine.test(row));
	const error = lastIndexWhere(turn, (row) => errorLine.test(row));
	if (error !== -1 && error > reply)
		return { status: 'error', rule: 'kimi_cli.error', line: turn[error] as string };
	const interrupted = lastIndexWhere(turn, (row) => interruptedLine.test(row));
	if (interrupted !== -1 && interrupted > reply) {
		return { status: 'idle', rule: 'kimi_cli.interrupted', line: turn[interrupted] as string };
	}
	if (reply !== -1) {
		return { status: 'completed', rule: 'kimi_cli.reply-then-prompt', line: turn[reply] as string };
	}
	return { status: 'idle', rule: 'kimi_cli.prompt', line };
};

const detectKimi = (buffer: string, afterInput: boolean): Detection => {
	const { rows } = renderScreen(buffer);
	const bottom = lastIndexWhere(rows, (row) => row.trim() !== '');
	if (bottom === -1) return { status: 'unknown', rule: 'kimi_cli.none', line: '' };
	const echo = lastIndexWhere(rows, (row) => echoLine.test(row));
	const prompt = promptAfter(rows, echo);

	// The approval or question panel replaces the input box while the agent waits for an answer.
	const panel = lastIndexWhere(rows, (row) => approvalChoice.test(row) || questionTitle.test(row));
	if (panel > echo && prompt < panel) {
		const asked = lastIndexWhere(rows, (row) => approvalRequest.test(row) || questionLine.test(row));
		const line = rows[asked > echo ? asked : panel] as string;
		return { status: 'waiting_user_answer', rule: 'kimi_cli.panel', line: line.replace(panelBorders, '') };
	}
	// A spinner in the live area, between the prompt that was sent and the input box.
	const live = lastIndexWhere(rows, isLive, prompt === -1 ? rows.length : prompt);
	if (live > echo) return { status: 'processing', rule: 'kimi_cli.spinner', line: rows[live] as string };

	if (prompt !== -1) {
		// After input, the sent prompt shows above the input box: until then the input is only
		// pasted (or was a slash command, which starts no turn).
		if (afterInput && echo === -1) {
			return { status: 'unknown', rule: 'kimi_cli.turn-not-started', line: rows[prompt] as string };
		}
		const result = outcome(rows.slice(echo + 1, prompt), rows[prompt] as string);
		// Just sent: the prompt is echoed and the input box redrawn before the first spinner frame.
		if (afterInput && echo !== -1 && result.rule === 'kimi_cli.prompt') {
			return { status: 'processing', rule: 'kimi_cli.turn-started', line: rows[echo] as string };
		}
		return result;
	}
	if (echo !== -1) {
		// The older UI shows no prompt until the turn ends: output after the sent prompt, no prompt yet.
		const last = lastIndexWhere(rows, (row) => row.trim() !== '' && !toolbarLine.test(row));
		const line = rows[last] as string;
		if (errorLine.test(line)) return { status: 'error', rule: 'kimi_cli.error', line };
		return { status: 'processing', rule: 'kimi_cli.turn-running', line };
	}
	return { status: 'unknown', rule: 'kimi_cli.none', line: rows[bottom] as string };
};

/**
 * The agent's last reply: the newest output block of the turn that is not a tool call. The newer
 * UI indents a block's lines by two under its "• "; the older one did not indent code.
 */
const extractKimi = (screen: string): string => {
	const { rows } = renderScreen(screen);
	const echo = lastIndexWhere(rows, (row) => echoLine.test(row));
	const prompt = promptAfter(rows, echo);
	// The newer UI indents a block's lines; in the older one anything up to the next block is its.
	const boxed = rows.some((row) => inputHeader.test(row) || newerToolbar.test(row));
	let end = prompt === -1 ? rows.length : prompt;
	while (end > echo + 1 && (isLive(rows[end - 1] as string) || !(rows[end - 1] as string).trim())) end--;
	const blocks: string[][] = [];
	let open = false;
	for (const row of rows.slice(echo + 1, end)) {
		if (blockLine.test(row)) {
			blocks.push([row]);
			open = true;
		} else if (open && (!boxed || row === '' || row.startsWith('  '))) {
			blocks.at(-1)?.push(row);
		} else {
			open = false;
		}
	}
	const reply = [...blocks].reverse().find((block) => !toolLine.test(block[0] as string));
	if (!reply) return '';
	return reply
		.map((row, index) => (index === 0 ? row.slice(2) : boxed ? row.replace(blockIndent, '') : row))
		.join('\n')
		.replace(outerSpace, '');
};

/** Kimi's MCP config file: the common `mcpServers` form. */
const kimiServer = (server: McpServer) => ({
	command: server.command,
	args: [...server.args],
	env: { ...server.env },
});

export const kimiCliProvider: Provider = {
	name: 'kimi_cli',
	// Enter while a turn runs queues the prompt for the next turn (ctrl-s steers it in now).
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: true, exit: { text: '/exit' } },
	initTimeoutMs: 30_000,

	launchCommand({ profile, args, configDir, caoMcp }) {
		const command = ['kimi'];
		const files: LaunchFile[] = [];
		if (profile?.systemPrompt) {
			// The built-in agent, its system prompt kept: the profile fills its ${ROLE_ADDITIONAL} slot.
			const agentFile = join(configDir, 'kimi-agent.yaml');
			files.push({
				path: agentFile,
				content: [
					'version: 1',
					'agent:',
					'  extend: default',
					'  system_prompt_args:',
					`    ROLE_ADDITIONAL: ${JSON.stringify(profile.systemPrompt.trimEnd())}`,
					'',
				].join('\n'),
			});
			command.push('--agent-file', agentFile);
		}
		if (profile?.model) command.push('--model', profile.model);

		const mcpFile = join(configDir, 'kimi-mcp.json');
		const mcpServers = mcpServersConfig({ profile, caoMcp }, kimiServer, { caoFirst: true });
		files.push({ path: mcpFile, content: `${JSON.stringify({ mcpServers }, null, 2)}\n` });
		command.push('--mcp-config-file', mcpFile);

		// Kimi has no per-tool approval flag: each shell command, file edit and MCP call asks, unless
		// yolo (auto-approve everything; AskUserQuestion still reaches the user).
		if (profile?.skipPermissions || profile?.allowedTools?.includes('*')) command.push('--yolo');
		command.push(...args);
		// No update check, no blocking update gate at start-up.
		return { command, env: { KIMI_CLI_NO_AUTO_UPDATE: '1' }, files };
	},

	async initialize(context) {
		// No first-run dialog in the shell UI (login is a command, not a prompt): wait for the input box.
		await answerDialogsUntilIdle(this, context, []);
	},

	detect(buffer, context): Detection {
		return detectKimi(buffer, context.afterInput);
	},

	extractLastReply(screen) {
		return extractKimi(screen);
	},
};
