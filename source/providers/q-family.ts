/**
 * What Amazon Q Developer CLI (`q chat`) and its successor Kiro CLI (`kiro-cli chat`) share: two
 * screens and one agent-file format.
 *
 * - The classic line UI (Q, and Kiro with `chat.ui = legacy`): a rustyline prompt `[agent] 16% λ > `
 *   when it waits for input, every model response starting with a green `> `, a braille spinner
 *   `⠋ Thinking...` while it waits for the model, `Allow this action? … [y/n/t]:` above the prompt
 *   when a tool needs permission.
 * - The Kiro TUI (Kiro's default): a status header `agent · model · ◔ 3%`, the input placeholder
 *   `ask a question or describe a task`, ghost text `Kiro is working` / `Thinking...` in the input
 *   area while busy, and `▸ Credits: … • Time: 3s` at the end of every turn.
 *
 * Since `brew install amazon-q` now installs Kiro CLI, `q chat` may show either; both providers read
 * both, and differ only in their command, where their agent file goes and their timings.
 */
import { join } from 'node:path';
import { answerDialogsUntilIdle, type Dialog } from './initialize.js';
import { findLastIndex, normalizeStream } from './text.js';
import { mcpServersConfig } from './mcp-servers.js';
import type { DetectContext, Detection, InputTuning, LaunchOptions, McpServer, Provider } from './types.js';

// ─── Classic line UI ────────────────────────────────────────────────────────────────────────────

/** What follows the agent name in a prompt: context use, code intelligence λ, tangent ↯, warning !. */
const promptTail = String.raw`\s*(?:\d+%\s*)?(?:λ\s*)?(?:↯\s*)?!?>`;
/** Any agent name, for when the profile is unknown or the prompt shows another agent. */
const anyAgent = String.raw`[^\[\]\n]{1,64}`;

type PromptPatterns = {
	/** A line that is a prompt; group 1 is the typed text. */
	line: RegExp;
	/** A line that ends at an empty prompt, with other text before it. */
	end: RegExp;
};

const promptPatterns = (agent: string): PromptPatterns => ({
	// "[developer] > ", "[developer] 16% λ > fix the tests", "[dev] ↯ !> ", "[developer]>"
	line: new RegExp(String.raw`^\s?\[(?:${agent})\]${promptTail}(?: (.*))?$`),
	// "Allow this action? [y/n/t]: [developer]>" — text, then an empty prompt on the same line
	end: new RegExp(String.raw`(?:^|\s)\[(?:${agent})\]${promptTail}$`),
});

const genericPrompt = promptPatterns(anyAgent);

// "dev.team+1" → "dev\.team\+1": a profile name taken literally in a pattern
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The agent name cao gives the CLI for a profile: file-name safe. */
export const agentNameOf = (profile: string | null | undefined): string =>
	// "team/lead dev" → "team_lead_dev"
	(profile ?? 'cao').replace(/[^A-Za-z0-9_.-]/g, '_') || 'cao';

/** The agent name of one terminal, for CLIs whose agent files of all terminals share a folder. */
export const terminalAgentNameOf = (profile: string | null | undefined, terminalId: string): string =>
	`${agentNameOf(profile)}-${terminalId}`;

/**
 * The prompt of the profile the terminal was launched with, when the newest prompt shows it (then
 * bracketed text in replies cannot pass for a prompt); else any `[agent] >` prompt: no profile, or
 * another agent (`/agent swap`, Kiro's `/help` agent). `perTerminal`: the agent name may carry the
 * terminal's id (`[developer-ab12cd34] >`), which detection is not told.
 */
const promptsFor = (
	lines: readonly string[],
	profile: string | null,
	perTerminal: boolean,
): PromptPatterns => {
	if (!profile) return genericPrompt;
	const agent = escapeRegExp(agentNameOf(profile));
	const names = new Set([escapeRegExp(profile), agent, ...(perTerminal ? [`${agent}-[0-9a-f]{8}`] : [])]);
	const specific = promptPatterns([...names].join('|'));
	const newest = findLastIndex(
		lines,
		(line) => genericPrompt.line.test(line) || genericPrompt.end.test(line),
	);
	const line = lines[newest] ?? '';
	return specific.line.test(line) || specific.end.test(line) ? specific : genericPrompt;
};

// "How can I help?" — hints the empty prompt shows dimmed; they are not typed text
const promptHint =
	/^(?:How can I help\?|What should we work on\?|Ask me anything!|What would you like to do\?|Ready when you are!|Curious what I can do\? Just ask!|Not sure where to start\?.*|Want to know what commands I have\?.*|Need help with features or setup\?.*|Use @file or @dir.*)$/;
// "⠋ Thinking...", "⠙ Dividing up the work..." — the spinner while waiting for the model
const spinnerLine = /^\s*[\u2800-\u28ff] +\p{L}.*(?:\.\.\.|…)/u;
// "> Here is the code you asked for" — the first line of each model response (a green "> ")
const replyLine = /^ ?> \S/;
// "Allow this action? Use 't' to trust (always allow) this tool for the session. [y/n/t]:"
const permissionLine = /Allow this action\?.*\[y\/n(?:\/[a-z])?\]:?/;
// "Amazon Q is having trouble responding right now: dispatch failure", "Kiro is having trouble responding right now."
const errorLine =
	/is having trouble responding right now|Monthly request limit reached|model you've selected is temporarily unavailable/i;
// "1 of 2 mcp servers initialized. ctrl-c to start chatting now" — MCP servers still starting
const mcpLoading = /\d+ of \d+ mcp servers initialized/i;
// "🛠️  Using tool: fs_write (trusted)", " ⋮", " ● Completed in 0.2s", " ↳ Purpose: list files",
// "I will run the following command: ls (using tool: shell)" — tool use after a response's text
const toolChrome = /^(?:🛠️|\s⋮|\s●\s|\s↳\s)|\(using tool: [^)]+\)\s*$|^Allow this action\?/u;

type PromptMatch = { typed: string; before: string };

const matchPrompt = (line: string, prompts: PromptPatterns): PromptMatch | undefined => {
	const whole = prompts.line.exec(line);
	if (whole) return { typed: (whole[1] ?? '').trim(), before: '' };
	const end = prompts.end.exec(line);
	if (end) return { typed: '', before: line.slice(0, end.index).trim() };
	return undefined;
};

const isBlank = (line: string) => line.trim() === '';

/** The lines of the turn that the prompt at `bottom` ends: back to the previous prompt. */
const turnBefore = (lines: readonly string[], bottom: number, prompts: PromptPatterns): string[] => {
	let index = bottom - 1;
	// An idle prompt is redrawn (hints, typing): the prompt lines right above it are the same prompt.
	while (index >= 0 && (isBlank(lines[index] as string) || prompts.line.test(lines[index] as string)))
		index--;
	const start = findLastIndex(lines, (line) => prompts.line.test(line), index + 1) + 1;
	return lines.slice(start, index + 1);
};

const detectLine = (
	name: string,
	lines: readonly string[],
	bottom: number,
	prompts: PromptPatterns,
	context: DetectContext,
): Detection => {
	const last = (lines[bottom] as string).trim();
	if (spinnerLine.test(last)) return { status: 'processing', rule: `${name}.spinner`, line: last };
	const prompt = matchPrompt(lines[bottom] as string, prompts);
	if (!prompt) {
		// No prompt below the output: a response streaming, a tool running, MCP servers starting.
		const rule = mcpLoading.test(last) ? 'mcp-loading' : 'no-prompt';
		return { status: 'processing', rule: `${name}.${rule}`, line: last };
	}
	const empty = prompt.typed === '' || promptHint.test(prompt.typed);
	// Input was sent and the prompt still holds it: the turn has not shown itself yet.
	if (!empty && context.afterInput) return { status: 'processing', rule: `${name}.input-sent`, line: last };
	const turn = turnBefore(lines, bottom, prompts);
	const above = findLastIndex(turn, (line) => !isBlank(line));
	const lastContent = prompt.before || (above === -1 ? '' : (turn[above] as string).trim());
	// Input was sent and the prompt came back with nothing above it: the prompt is redrawing for the
	// echo, the turn has not shown itself yet.
	if (context.afterInput && !lastContent) {
		return { status: 'processing', rule: `${name}.turn-pending`, line: last };
	}
	if (permissionLine.test(lastContent)) {
		return { status: 'waiting_user_answer', rule: `${name}.permission`, line: lastContent };
	}
	const error = turn.find((line) => errorLine.test(line));
	if (error) return { status: 'error', rule: `${name}.error`, line: error.trim() };
	const reply = findLastIndex(turn, (line) => replyLine.test(line));
	if (reply !== -1) {
		return { status: 'completed', rule: `${name}.reply-then-prompt`, line: (turn[reply] as string).trim() };
	}
	return { status: 'idle', rule: `${name}.prompt`, line: last };
};

const extractLine = (lines: readonly string[], prompts: PromptPatterns): string => {
	const start = findLastIndex(lines, (line) => replyLine.test(line));
	if (start === -1) return '';
	const body: string[] = [];
	for (const line of lines.slice(start)) {
		if (body.length > 0 && (matchPrompt(line, prompts) || toolChrome.test(line) || spinnerLine.test(line)))
			break;
		// "> Fixed:" → "Fixed:"
		body.push(body.length === 0 ? line.replace(/^ ?> /, '') : line);
	}
	return body.join('\n').trim();
};

// ─── Kiro TUI ───────────────────────────────────────────────────────────────────────────────────

// "──────────────────────────" — a rule between the transcript and the input area
const tuiRule = /^\s*─{20,}\s*$/;
// "developer · claude-opus-4.6-1m · ◔ 3%              ~/project · (main)" — the status header
const tuiHeader = /·\s*◔\s*\d+%/;
// " Ask a question or describe a task ↵  ctrl+g: agent monitor", "›  ask a question, or describe a task ↵"
const tuiPlaceholder = /ask a question,? or describe a task/i;
// "› Reply with exactly this one word" — the input line holding typed text
const tuiInput = /^\s*›(?:\s|$)/;
// "▸ Credits: 0.24 • Time: 3s", "▸ Credits: turn 0.08 • session 0.08 | Time: 2s" — a turn's last line
const tuiCredits = /^\s*▸\s*Credits:/;
// " Kiro is working" — the busy ghost text of TUIs up to 2.10, in place of the placeholder
const kiroWorking = /Kiro is working/;
// " Kiro is working", "⠹ Thinking... (esc to cancel)", "›  Thinking..." — ghost text in the input area while busy
const tuiWorking = /Kiro is working|^\s*(?:›\s*)?(?:[\u2800-\u28ff]\s+)?Thinking(?:\.\.\.|…)/;
// "◐ 2 tasks remaining · shell" — the subagent/task spinner line
const tuiTasks = /[◐◓◑◒]\s+\d+\s+tasks? remaining/;
// "● Initializing...", "Initializing · type to queue a message", "1 of 3 mcp servers initialized."
const tuiStarting = /Initializing(?:\.\.\.|…|\s*·)|\d+ of \d+ mcp servers initialized/i;
// " Trust All Tools active, confirmations are off · /quit to exit" — a banner above the input
const tuiBanner = /Trust All Tools active|confirmations are off/;
// "/copy to clipboard", "ctrl+g: agent monitor" — key hints around the input
const tuiHint = /\/copy to clipboard|\bctrl\+[a-z]\b.*:|\bshift\+tab\b/i;
// "● 1 MCP failure — see /mcp" — a notice, not a tool call
const tuiNotice = /^● .*— see \/\w+|^● \d+ MCP\b/;
// "• SHELLOK" — a response block
const tuiReply = /^• /;
// "● Shell sleep 6; echo SHELLOK" — a tool call
const tuiTool = /^● /;
// "  What files are in this directory?" — the user's message echoed into the transcript
const tuiUserEcho = /^ {2}\S/;
// " esc to cancel · ↑↓ to navigate · ↵ to select" — the footer of every TUI selector
const tuiSelectorFooter = /↑↓ to navigate|↵ to select/;
// " ❯ No, exit" — the default choice of the "trust all tools mode" warning
const trustDialogChoice = /❯\s*No, exit/;
// " ❯ Yes, single permission", "Yes   No   Always allow" — a tool-permission question
const tuiPermission =
	/Yes,\s*single permission|Trust,\s*always allow in this session|\bYes\s+No\s+Always [Aa]llow\b/;
// "   Yes, I accept", "  No (Tab to edit)" — the choices of a selector
const selectorOption = /^\s*(?:[❯›>]\s*)?(?:Yes|No|Trust|Always)\b/;

const isTuiBusy = (line: string) => tuiWorking.test(line) || tuiTasks.test(line) || tuiStarting.test(line);
const isTuiIdleInput = (line: string) =>
	(tuiPlaceholder.test(line) || tuiInput.test(line)) && !isTuiBusy(line);
const isTuiChrome = (line: string) =>
	tuiRule.test(line) ||
	tuiHeader.test(line) ||
	isTuiIdleInput(line) ||
	tuiBanner.test(line) ||
	tuiHint.test(line) ||
	tuiNotice.test(line) ||
	isTuiBusy(line);
/**
 * A line that only the TUI draws: the screen is in TUI mode from here on. Not the credits line:
 * the classic UI prints one too, right before its prompt.
 */
const isTuiMarker = (line: string) =>
	tuiHeader.test(line) || tuiPlaceholder.test(line) || tuiInput.test(line) || kiroWorking.test(line);
/** Where a TUI turn starts: after the previous turn's credits or the input area. */
const isTuiBoundary = (line: string) =>
	tuiCredits.test(line) ||
	tuiRule.test(line) ||
	tuiHeader.test(line) ||
	isTuiIdleInput(line) ||
	tuiBanner.test(line);
/** Output that only a turn in progress draws. */
const isTuiTurnOutput = (line: string) =>
	(tuiUserEcho.test(line) && !isTuiChrome(line) && !selectorOption.test(line)) ||
	tuiReply.test(line) ||
	(tuiTool.test(line) && !tuiNotice.test(line));

const detectTui = (
	name: string,
	lines: readonly string[],
	bottom: number,
	context: DetectContext,
): Detection => {
	const lastOf = (test: (line: string) => boolean) => findLastIndex(lines, test, bottom + 1);
	const credits = lastOf((line) => tuiCredits.test(line));
	const idleInput = lastOf(isTuiIdleInput);
	// Busy ghost text counts until the input area or a turn's credits is drawn after it.
	const busy = lastOf(isTuiBusy);
	if (busy > Math.max(idleInput, credits)) {
		const line = (lines[busy] as string).trim();
		const rule = tuiStarting.test(line) ? 'starting' : 'working';
		return { status: 'processing', rule: `${name}.${rule}`, line };
	}
	if (credits !== -1) {
		const after = lines.slice(credits + 1, bottom + 1);
		const newTurn = after.find(isTuiTurnOutput);
		if (newTurn !== undefined) {
			// A new turn under the last credits: running, unless it failed.
			const error = after.slice(after.indexOf(newTurn)).find((line) => errorLine.test(line));
			if (error) return { status: 'error', rule: `${name}.error`, line: error.trim() };
			return { status: 'processing', rule: `${name}.turn-started`, line: newTurn.trim() };
		}
		const start = findLastIndex(lines, isTuiBoundary, credits);
		const error = lines.slice(start + 1, credits).find((line) => errorLine.test(line));
		if (error) return { status: 'error', rule: `${name}.error`, line: error.trim() };
		return { status: 'completed', rule: `${name}.credits`, line: (lines[credits] as string).trim() };
	}
	const error = lastOf((line) => errorLine.test(line));
	if (error !== -1 && error > lastOf((line) => tuiUserEcho.test(line) && !errorLine.test(line))) {
		return { status: 'error', rule: `${name}.error`, line: (lines[error] as string).trim() };
	}
	const rest = lastOf((line) => isTuiIdleInput(line) || tuiHeader.test(line));
	if (rest === -1) return { status: 'unknown', rule: `${name}.none`, line: (lines[bottom] as string).trim() };
	// Input went in and no turn has ended since: the turn has not shown itself yet (or is running
	// with its busy text out of the buffer). Only a turn's credits make it completed.
	if (context.afterInput) {
		return { status: 'processing', rule: `${name}.turn-pending`, line: (lines[rest] as string).trim() };
	}
	return { status: 'idle', rule: `${name}.input`, line: (lines[rest] as string).trim() };
};

/** A selector (trust-all-tools warning, tool permission) near the bottom with nothing after it. */
const tuiDialog = (lines: readonly string[], bottom: number): Detection | undefined => {
	const from = Math.max(0, bottom - 40);
	const isDialog = (line: string) =>
		tuiSelectorFooter.test(line) || trustDialogChoice.test(line) || tuiPermission.test(line);
	const at = findLastIndex(lines, isDialog, bottom + 1);
	if (at < from) return undefined;
	const question = lines.slice(from, at + 1);
	const trust = question.find((line) => trustDialogChoice.test(line));
	// Answered: the turn goes on, or a prompt came back. The trust warning fills the screen before
	// the chat starts, so the input area closes it too; a tool question may sit above the input area.
	const closes = (line: string) =>
		tuiCredits.test(line) ||
		isTuiTurnOutput(line) ||
		isTuiBusy(line) ||
		spinnerLine.test(line) ||
		genericPrompt.line.test(line) ||
		(trust !== undefined && (isTuiIdleInput(line) || tuiHeader.test(line)));
	if (lines.slice(at + 1, bottom + 1).some(closes)) return undefined;
	const permission = question.find((line) => tuiPermission.test(line));
	const line = (trust ?? permission ?? (lines[at] as string)).trim();
	const rule = trust ? 'trust-all-dialog' : permission ? 'tui-permission' : 'selector';
	return { status: 'waiting_user_answer', rule, line };
};

const extractTui = (lines: readonly string[]): string => {
	let end = findLastIndex(lines, (line) => tuiCredits.test(line));
	if (end === -1) {
		end = lines.length;
		while (end > 0 && (isBlank(lines[end - 1] as string) || isTuiChrome(lines[end - 1] as string))) end--;
	}
	const start = findLastIndex(lines, isTuiBoundary, end) + 1;
	const turn = lines.slice(start, end).filter((line) => !isTuiChrome(line));
	let body: string[];
	if (turn.some((line) => tuiReply.test(line))) {
		// Responses are `• ` blocks between tool calls: the last reply starts after the last tool call.
		const lastTool = findLastIndex(turn, (line) => tuiTool.test(line) && !tuiNotice.test(line));
		const first = turn.findIndex((line, index) => index > lastTool && tuiReply.test(line));
		body = first === -1 ? [] : turn.slice(first);
	} else {
		// Older TUIs indent the user's message and the reply alike: the reply follows the first
		// paragraph, unless the turn's start scrolled away with the message.
		const firstText = turn.findIndex((line) => !isBlank(line));
		const gap = turn.findIndex((line, index) => index > firstText && isBlank(line));
		body = start > 0 && firstText !== -1 ? (gap === -1 ? [] : turn.slice(gap)) : turn;
	}
	return (
		body
			// "• One file:" → "One file:", "  - a.txt" → "- a.txt"
			.map((line) => line.replace(/^• /, '').replace(/^ {2}/, ''))
			.join('\n')
			.trim()
	);
};

// ─── Both screens ───────────────────────────────────────────────────────────────────────────────

type Screen = { lines: string[]; bottom: number; prompts: PromptPatterns; tui: boolean };

// "…\x1b[3", "…\x1b]0;tit" — an escape sequence cut off by the end of the buffer (its rest is on the way)
const cutEscape = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*)?$/;

const readScreen = (raw: string, profile: string | null, perTerminal = false): Screen => {
	const { lines } = normalizeStream(raw.replace(cutEscape, ''));
	const bottom = findLastIndex(lines, (line) => !isBlank(line));
	const prompts = promptsFor(lines, profile, perTerminal);
	const lineUi = findLastIndex(lines, (line) => matchPrompt(line, prompts) !== undefined);
	const tui = findLastIndex(lines, isTuiMarker) > lineUi;
	return { lines, bottom, prompts, tui };
};

export const detectQFamily = (
	name: string,
	buffer: string,
	context: DetectContext,
	perTerminal = false,
): Detection => {
	const { lines, bottom, prompts, tui } = readScreen(buffer, context.profile, perTerminal);
	if (bottom === -1) return { status: 'unknown', rule: `${name}.none`, line: '' };
	const dialog = tuiDialog(lines, bottom);
	if (dialog) return { ...dialog, rule: `${name}.${dialog.rule}` };
	return tui ? detectTui(name, lines, bottom, context) : detectLine(name, lines, bottom, prompts, context);
};

export const extractQFamilyReply = (screen: string): string => {
	const { lines, prompts, tui } = readScreen(screen, null);
	return tui ? extractTui(lines) : extractLine(lines, prompts);
};

// ─── Launch ─────────────────────────────────────────────────────────────────────────────────────

/** The agent-file dialect: Q's `useLegacyMcpJson` became Kiro's `includeMcpJson`. */
export type AgentDialect = 'q' | 'kiro';

export type QFamilyConfig = {
	name: string;
	/** The argv that starts a chat: `['q', 'chat']`. */
	chat: readonly string[];
	dialect: AgentDialect;
	/** Where the agent file goes, relative to the terminal's config folder. */
	agentFile(agentName: string): string;
	/** Environment that points the CLI at the config folder, where it can be pointed. */
	env(options: LaunchOptions): Record<string, string>;
	/**
	 * Where it cannot: the folder, shared by every terminal, where the CLI reads agent files. The
	 * engine links the agent file there, under a name of this terminal's own, since the file
	 * carries the terminal's id.
	 */
	sharedAgentFolder?(options: LaunchOptions): string;
	/** Generic and Claude-style tool names to this CLI's own (keys lower-case). */
	toolNames: Readonly<Record<string, string>>;
	/** Context files every agent gets, as the CLI's default agent has them. */
	resources: readonly string[];
	input: InputTuning;
	initTimeoutMs: number;
};

/** `mcp__github__get_issue` → `@github/get_issue`, `github/get_issue` → `@github/get_issue`. */
const mcpToolName = (tool: string): string | undefined => {
	if (tool.startsWith('@')) return tool;
	// "mcp__my_server__get_issue", "mcp__github" — Claude-style MCP names
	const claude = /^mcp__([^_]+(?:_[^_]+)*?)(?:__(.+))?$/.exec(tool);
	if (claude) return claude[2] ? `@${claude[1]}/${claude[2]}` : `@${claude[1]}`;
	// "github/get_issue", "jira/*" — server/tool
	if (/^[\w.-]+\/[\w.*-]+$/.test(tool)) return `@${tool}`;
	return undefined;
};

export const trustedTools = (
	allowed: readonly string[],
	toolNames: Readonly<Record<string, string>>,
): { all: boolean; tools: string[] } => {
	const tools = new Set<string>();
	let all = false;
	for (const raw of allowed) {
		const tool = raw.trim();
		if (!tool) continue;
		if (tool === '*') all = true;
		else tools.add(mcpToolName(tool) ?? toolNames[tool.toLowerCase()] ?? tool);
	}
	return { all, tools: [...tools] };
};

const mcpEntry = (server: McpServer) => ({
	command: server.command,
	args: [...server.args],
	env: { ...server.env },
	...(server.timeoutMs ? { timeout: server.timeoutMs } : {}),
});

/** The agent JSON: system prompt, cao's MCP server (pre-approved) and the profile's own servers. */
export const agentConfig = (config: QFamilyConfig, options: LaunchOptions, agentName: string) => {
	const profile = options.profile;
	return {
		name: agentName,
		description: `cao-tui agent ${agentName}`,
		...(profile?.systemPrompt ? { prompt: profile.systemPrompt } : {}),
		mcpServers: mcpServersConfig(options, mcpEntry),
		tools: ['*'],
		allowedTools: ['@cao'],
		resources: [...config.resources],
		// Only the servers above: not the user's global mcp.json.
		...(config.dialect === 'q' ? { useLegacyMcpJson: false } : { includeMcpJson: false }),
	};
};

// " ❯ No, exit" — Kiro's warning for --trust-all-tools; Down selects "Yes, I accept" (this session
// only, not "Yes, and don't ask again"). It only shows when the profile asked for every tool
// (skipPermissions, or "*" allowed), which is what the flag was passed for.
const trustAllDialog: Dialog = {
	name: 'trust all tools',
	pattern: trustDialogChoice,
	keys: ['Down', 'Enter'],
};

/** Agent names carry the terminal id where agent files share a folder (see `sharedAgentFolder`). */
const perTerminal = (config: QFamilyConfig) => config.sharedAgentFolder !== undefined;

export const createQFamilyProvider = (config: QFamilyConfig): Provider => ({
	name: config.name,
	input: config.input,
	initTimeoutMs: config.initTimeoutMs,

	launchCommand(options) {
		const profile = options.profile;
		const shared = config.sharedAgentFolder?.(options);
		const agentName = shared
			? terminalAgentNameOf(profile?.name, options.terminalId)
			: agentNameOf(profile?.name);
		const trusted = trustedTools(profile?.allowedTools ?? [], config.toolNames);
		const all = trusted.all || profile?.skipPermissions === true;
		const command = [
			...config.chat,
			'--agent',
			agentName,
			...(profile?.model ? ['--model', profile.model] : []),
			// Extends the agent's allowedTools: cao's own tools never wait for a yes.
			...(all ? ['--trust-all-tools'] : [`--trust-tools=${['@cao', ...trusted.tools].join(',')}`]),
			...options.args,
		];
		const agent = agentConfig(config, options, agentName);
		const path = config.agentFile(agentName);
		return {
			command,
			env: config.env(options),
			files: [{ path, content: `${JSON.stringify(agent, null, '\t')}\n` }],
			...(shared ? { links: [{ path, target: join(shared, `${agentName}.json`) }] } : {}),
		};
	},

	async initialize(context) {
		// A resumed conversation (`--resume`) starts on its last reply: ready all the same.
		const ready = {
			detect: (buffer: string, detectContext: DetectContext): Detection => {
				const detection = detectQFamily(config.name, buffer, detectContext, perTerminal(config));
				return detection.status === 'completed' ? { ...detection, status: 'idle' } : detection;
			},
		};
		await answerDialogsUntilIdle(ready, context, [trustAllDialog]);
	},

	detect(buffer, context) {
		return detectQFamily(config.name, buffer, context, perTerminal(config));
	},

	extractLastReply(screen) {
		return extractQFamilyReply(screen);
	},
});
