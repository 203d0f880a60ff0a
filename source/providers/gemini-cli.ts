import { join } from 'node:path';
import { type Dialog, answerDialogsUntilIdle } from './initialize.js';
import { atMcpTool, claudeMcpTool } from './opencode-cli.js';
import { renderScreen } from './screen.js';
import { mcpServersConfig } from './mcp-servers.js';
import type { Detection, LaunchOptions, McpServer, Provider } from './types.js';

/*
 * Gemini CLI (npm @google/gemini-cli) is an Ink app on the normal screen: finished messages are
 * printed once above, and the live part (spinner, input box, footer) is erased ("ESC[2K ESC[1A"
 * per line) and redrawn ~10 times a second. The raw stream is replayed on a virtual screen
 * (`renderScreen`), which leaves only the newest frame under the printed history, as a tmux
 * capture shows it. Its window title says the state too: "◇  Ready", "✦  Working…" (or the
 * current thought), "⏲  Working…", "✋  Action Required".
 */

// " >   Type your message or @path/to/file" (the placeholder), " > fix the tests" (typed, or a
// past query in the history), " *   Type your message…" in YOLO mode, " !   Type your shell
// command" in shell mode, " (r:) " while searching.
const promptLine = /^ ?(?:[>*!]|\(r:\)) /;
// " >   Type your message or @path/to/file" — the empty input box (vim mode: "Press 'i' for INSERT").
const placeholder = /^ ?(?:[>*!]|\(r:\)) +(?:Type your (?:message|shell command)|Press '(?:Esc|i)' for)/;
// " ⠙ Thinking... (esc to cancel, 2s)      ? for shortcuts" / " ⠴ Refining Delegation
// Parameters (esc to cancel, 1m 5s)" — the spinner of a running turn (also while retrying).
const spinnerLine = /\(esc to cancel, /;
// "▀▀▀▀▀▀▀▀" / "▄▄▄▄▄▄▄▄" / "────────" — edges of the input box and of the query boxes.
const ruleLine = /^[▀▄─━]{10,}/;
// "                 ? for shortcuts" — the hint over the input box when nothing runs.
const shortcutsHint = /^\s*\? for shortcuts$/;
// " Shift+Tab to accept edits", " auto-accept edits Shift+Tab to plan", " YOLO Ctrl+Y", "  YOLO
// mode (ctrl + y to toggle)" (older), " shell mode enabled (esc to disable)" — the mode line.
const modeLine =
	/^\s*(?:(?:auto-accept edits|plan|YOLO) )?(?:Shift\+Tab|Ctrl\+Y)\b|\((?:ctrl \+ y|shift \+ tab) to toggle\)|^\s*(?:shell mode enabled|raw markdown mode)\b/;
// "✦ Hi! How can I help you today?" — the first line of a reply.
const replyLine = /^✦ /;
// "✕ [API Error: exception TypeError: fetch failed sending request]" — a failed turn.
const errorLine = /^✕ /;
// "ℹ Request cancelled." / "ℹ This request failed. Press F12 for diagnostics, …" — a notice.
const infoLine = /^ℹ /;
// "  Responding with gemini-3-flash-preview" — which model answers, before the reply.
const respondingLine = /^\s*Responding with \S/;
// "╭────╮", "│ ✓  Shell echo hi │", "╰────╯" — a tool call's box.
const boxLine = /^\s*[╭│╰]/;
// "Error: Failed to connect to Gemini API. Check your authentication with `gemini login`." — it
// printed this and quit (no input box on screen).
const fatalLine = /^(?:Error|FatalError|Fatal error)\b.*:/;
// " ▝▜▄     Gemini CLI v0.61.0" / "  ▗▟▀    Authenticated with gemini-api-key /auth" — the banner.
const bannerLine = /[▝▜▗▟▘▙▛▐▌█░]{2}|Gemini CLI v\d|Authenticated with /;

// Dialogs (they replace the input box):
// "│ Allow execution of [Shell]?" / "Allow execution of MCP tool "handoff" from server "cao"?" /
// "│ Apply this change?" / "│ Do you want to proceed?" — a tool waits for a yes;
// "Do you trust the files in this folder?" / "How would you like to authenticate for this project?"
const dialogQuestion =
	/^\s*(?:│\s*)?(?:Allow execution of\b|Apply this change\?|Do you want to proceed\?|Do you trust the files in this folder\?|How would you like to authenticate\b|A potential loop was detected)/;
// "│ ● 1. Allow once" — the selected option of a choice list.
const selectedOption = /^\s*(?:│\s*)?● \d+\. \S/;
// "(Use Enter to select, Esc to close)" / "Enter to submit · Esc to cancel" — a dialog's footer.
const dialogHint = /\(Use Enter to select\b|\bEnter to (?:select|submit)\b/;
// " ! Shell awaiting input (Tab to focus)" — a shell command the agent ran reads from the terminal.
const shellAwaitingInput = /Shell awaiting input \(Tab to focus\)/;

// Window titles: "◇  Ready (work)", "✦  Working… (work)" / "✦  Refining the plan (work)",
// "⏲  Working… (work)", "✋  Action Required (work)".
const titleWorking = /^[✦⏲]\s/;
const titleActionRequired = /^✋\s/;

const lastIndex = (lines: readonly string[], test: (line: string) => boolean, before = lines.length) => {
	for (let index = Math.min(before, lines.length) - 1; index >= 0; index--) {
		if (test(lines[index] as string)) return index;
	}
	return -1;
};

/**
 * Where the chrome over the input box starts (status line, separator, mode line, box edge): the
 * history and the turn's reply end there.
 */
const chromeStart = (lines: readonly string[], prompt: number): number => {
	let start = prompt;
	// The box's top edge, the mode line, the separator, the status line, blank lines.
	const chrome = (line: string) =>
		!line.trim() ||
		ruleLine.test(line) ||
		shortcutsHint.test(line) ||
		modeLine.test(line) ||
		spinnerLine.test(line);
	while (start > 0 && prompt - start < 8 && chrome(lines[start - 1] as string)) start--;
	return start;
};

/** The input box's line: the last prompt on screen. */
const inputBoxLine = (lines: readonly string[]): number => lastIndex(lines, (line) => promptLine.test(line));

/** A past query (or text in the input box): a prompt line that is not the placeholder. */
const isQuery = (lines: readonly string[], index: number) =>
	promptLine.test(lines[index] as string) && !placeholder.test(lines[index] as string);

/** A line without the box around it: "│ Allow execution of [Shell]?   │" → "Allow execution of [Shell]?". */
const unboxed = (line: string) =>
	line
		// "│ Allow execution of [Shell]?" / "…?      │": the box's sides.
		.replace(/^\s*│\s*/, '')
		.replace(/\s*│\s*$/, '')
		.trim()
		// "Thinking... (esc to cancel, 2s)        ? for shortcuts": wide gaps narrowed.
		.replace(/\s{3,}/g, '  ');

const lastQueryBefore = (lines: readonly string[], end: number): number => {
	for (let index = end - 1; index >= 0; index--) if (isQuery(lines, index)) return index;
	return -1;
};

const detectGemini = (buffer: string, afterInput: boolean): Detection => {
	const { rows: lines, title } = renderScreen(buffer);
	const cleanTitle = title?.trim() ?? '';
	const prompt = inputBoxLine(lines);
	const lastLine = (pattern: RegExp, rows: readonly string[]) => {
		const index = lastIndex(rows, (line) => pattern.test(line));
		return index === -1 ? undefined : unboxed(rows[index] as string);
	};

	// A dialog takes the input box's place: only what stands below the last input box counts.
	const afterPrompt = lines.slice(prompt + 1);
	const dialog =
		lastLine(dialogQuestion, afterPrompt) ??
		lastLine(selectedOption, afterPrompt) ??
		lastLine(dialogHint, afterPrompt) ??
		lastLine(shellAwaitingInput, lines.slice(Math.max(0, prompt - 8)));
	if (dialog) return { status: 'waiting_user_answer', rule: 'gemini_cli.dialog', line: dialog };
	if (titleActionRequired.test(cleanTitle)) {
		return { status: 'waiting_user_answer', rule: 'gemini_cli.title-action-required', line: cleanTitle };
	}

	if (prompt === -1) {
		const fatal = lastLine(fatalLine, lines);
		if (fatal) return { status: 'error', rule: 'gemini_cli.fatal', line: fatal };
		// Any line with text: the last thing on screen.
		return { status: 'unknown', rule: 'gemini_cli.none', line: lastLine(/\S/, lines) ?? '' };
	}

	// The spinner sits just over the input box, in the newest frame.
	const spinner = lastLine(spinnerLine, lines.slice(Math.max(0, prompt - 8), prompt));
	if (spinner) return { status: 'processing', rule: 'gemini_cli.spinner', line: spinner };
	if (titleWorking.test(cleanTitle))
		return { status: 'processing', rule: 'gemini_cli.title-working', line: cleanTitle };
	const promptText = lines[prompt] as string;
	if (!placeholder.test(promptText)) {
		// Text in the input box: a message pasted and not yet taken (or typed by someone).
		return { status: 'processing', rule: 'gemini_cli.input-pending', line: promptText.trim() };
	}

	// The input box is empty and nothing runs: how did the newest turn end?
	const end = chromeStart(lines, prompt);
	const lastQuery = lastQueryBefore(lines, end);
	const turn = lines.slice(lastQuery + 1, end);
	const reply = lastIndex(turn, (line) => replyLine.test(line));
	const error = lastIndex(turn, (line) => errorLine.test(line));
	if (error > reply)
		return { status: 'error', rule: 'gemini_cli.turn-error', line: (turn[error] as string).trim() };
	if (reply !== -1)
		return { status: 'completed', rule: 'gemini_cli.reply', line: (turn[reply] as string).trim() };
	const notice = lastIndex(turn, (line) => infoLine.test(line));
	if (notice !== -1)
		return { status: 'idle', rule: 'gemini_cli.notice', line: (turn[notice] as string).trim() };
	if (!afterInput) return { status: 'idle', rule: 'gemini_cli.prompt', line: promptText.trim() };
	// After input the screen must show the turn. Its text without a "✦" line: a long reply whose
	// first line left the buffer, or tools only. Nothing at all: the frame Ink draws between the
	// Enter and the turn's start (the input box just emptied) — not idle.
	const content = turn.filter(
		(line) => line.trim() && !ruleLine.test(line) && !respondingLine.test(line) && !bannerLine.test(line),
	);
	if (content.length > 0) {
		return { status: 'completed', rule: 'gemini_cli.reply-text', line: (content.at(-1) as string).trim() };
	}
	return { status: 'unknown', rule: 'gemini_cli.turn-starting', line: promptText.trim() };
};

// "   1 console.log("hi");" / "  12" — a numbered code block line (ui.showLineNumbers, the default).
const numberedCode = /^ *(\d+)(?: (.*))?$/;

/**
 * Numbered code lines back into a fenced block: "", " 1 a", " 2 b", "" → "", "```", "a", "b",
 * "```", "" (the language is not on screen). A run counts from 1, between blank lines.
 */
const fenceCode = (lines: readonly string[]): string[] => {
	const out: string[] = [];
	const numberAt = (index: number) => Number(numberedCode.exec(lines[index] ?? '')?.[1]);
	for (let index = 0; index < lines.length;) {
		let next = index;
		while (next < lines.length && numberAt(next) === next - index + 1) next++;
		const spaced = !lines[index - 1]?.trim() && !lines[next]?.trim();
		if (next > index && spaced) {
			const code = lines.slice(index, next).map((line) => numberedCode.exec(line)?.[2] ?? '');
			out.push('```', ...code, '```');
			index = next;
		} else out.push(lines[index++] as string);
	}
	return out;
};

const extractGemini = (screen: string): string => {
	const { rows: lines } = renderScreen(screen);
	const prompt = inputBoxLine(lines);
	const end = prompt === -1 ? lines.length : chromeStart(lines, prompt);
	const query = lastQueryBefore(lines, end);
	// Past the query box's bottom edge (a long query wraps onto more lines).
	const edge = query === -1 ? -1 : lines.slice(query + 1, end).findIndex((line) => ruleLine.test(line));
	const start = query === -1 ? 0 : edge === -1 ? query + 1 : query + 2 + edge;
	let body = lines.slice(start, end);
	// The last message: what follows the last tool box (when a reply follows it).
	// "╰──────╯" — the bottom of a tool box.
	const box = lastIndex(body, (line) => /^\s*╰/.test(line));
	if (box !== -1 && body.slice(box + 1).some((line) => replyLine.test(line))) body = body.slice(box + 1);
	const first = body.findIndex((line) => replyLine.test(line));
	if (first === -1) return '';
	body = body.slice(first);
	const text = body
		.filter((line) => !boxLine.test(line) && !infoLine.test(line) && !respondingLine.test(line))
		// "  second line" — a reply's lines after the first are indented by two.
		.map((line) => (replyLine.test(line) ? line.slice(2) : line.replace(/^ {2}/, '')).trimEnd());
	return fenceCode(text).join('\n').trim();
};

// ---------------------------------------------------------------------------------------------
// Launching
// ---------------------------------------------------------------------------------------------

/** Generic tool names (as other CLIs spell them) → Gemini CLI's built-in tools. */
const toolNames: Readonly<Record<string, readonly string[]>> = {
	bash: ['run_shell_command'],
	shell: ['run_shell_command'],
	execute_bash: ['run_shell_command'],
	execute_cmd: ['run_shell_command'],
	read: ['read_file', 'read_many_files', 'list_directory', 'glob', 'grep_search'],
	fs_read: ['read_file', 'read_many_files', 'list_directory', 'glob', 'grep_search'],
	write: ['write_file', 'replace'],
	fs_write: ['write_file', 'replace'],
	edit: ['replace', 'write_file'],
	fetch: ['web_fetch'],
	web_fetch: ['web_fetch'],
	web_search: ['google_web_search'],
};

/**
 * A policy rule's tool name for an allowed tool. Gemini names MCP tools "mcp_<server>_<tool>":
 * `mcp__github__get_issue` and `@github/get_issue` become "mcp_github_get_issue", `@github`
 * "mcp_github_*".
 */
const policyToolNames = (tool: string): readonly string[] => {
	const claude = claudeMcpTool.exec(tool);
	if (claude) return [`mcp_${claude[1]}_${claude[2] ?? '*'}`];
	const at = atMcpTool.exec(tool);
	if (at) return [`mcp_${at[1]}_${at[2] ?? '*'}`];
	return toolNames[tool.toLowerCase()] ?? [tool];
};

const tomlString = (value: string) => JSON.stringify(value);

/** A policy file that lets the profile's allowed tools run without a confirmation. */
const allowPolicy = (tools: readonly string[]): string =>
	[
		'# cao-tui: the agent profile allows these tools without asking.',
		'[[rule]]',
		`toolName = [${tools.map(tomlString).join(', ')}]`,
		'decision = "allow"',
		'priority = 900',
		'',
	].join('\n');

const settingsServer = (server: McpServer) => ({
	command: server.command,
	args: [...server.args],
	env: { ...server.env },
	...(server.timeoutMs ? { timeout: server.timeoutMs } : {}),
	// No confirmation for each call of this server's tools.
	trust: true,
});

/**
 * How Gemini CLI should authenticate in its own home: from the environment the engine passes
 * (an API key, Vertex AI, the machine's credentials), else Google login; a profile may say
 * (`options.authType`, e.g. "gemini-api-key").
 */
const authTypeOf = (options: LaunchOptions): string => {
	const chosen = options.profile?.options?.authType;
	if (typeof chosen === 'string' && chosen) return chosen;
	const env = options.env;
	if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true') return 'vertex-ai';
	if (env.GEMINI_API_KEY) return 'gemini-api-key';
	if (env.GEMINI_CLI_USE_COMPUTE_ADC === 'true') return 'compute-default-credentials';
	return 'oauth-personal';
};

/**
 * The user settings of the Gemini CLI home cao gives each terminal (GEMINI_CLI_HOME): cao's MCP
 * server and the profile's, pre-trusted, and the answers to the first-run questions (auth method,
 * theme, folder trust, IDE nudge). Gemini CLI has no flag for an MCP config, and skips the extra
 * settings files its environment can name (GEMINI_CLI_SYSTEM_DEFAULTS_PATH…) unless root owns them.
 */
export const geminiSettings = (options: LaunchOptions) => {
	return {
		mcpServers: mcpServersConfig(options, settingsServer),
		security: { auth: { selectedType: authTypeOf(options) }, folderTrust: { enabled: false } },
		general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
		ide: { enabled: false, hasSeenNudge: true },
		ui: { theme: 'Default', hideTips: true },
	};
};

// " │ Do you trust the files in this folder?" — the folder trust dialog (GEMINI_CLI_TRUST_WORKSPACE
// keeps it away); Enter takes the selected first option, " │ ● 1. Trust folder (work)".
const trustDialog: Dialog = {
	name: 'trust folder',
	pattern: /Do you trust the files in this folder\?/,
	keys: ['Enter'],
};

export const geminiCliProvider: Provider = {
	name: 'gemini_cli',
	input: {
		// Ink takes a bracketed paste as one input; an Enter right behind it can land inside it.
		submitDelayMs: 300,
		enterCount: 1,
		// Messages sent while it works are queued and sent when the turn ends.
		acceptsInputWhileProcessing: true,
		exit: { text: '/quit' },
	},
	// Node start, then every MCP server connects before the first turn.
	initTimeoutMs: 60_000,

	launchCommand(options) {
		const profile = options.profile;
		const settingsPath = join(options.configDir, '.gemini', 'settings.json');
		const files = [
			{ path: settingsPath, content: `${JSON.stringify(geminiSettings(options), null, '\t')}\n` },
		];
		const env: Record<string, string> = {
			// Gemini CLI's home (settings, sessions) in the terminal's folder: cao's MCP server
			// without touching ~/.gemini. HOME stays, for the tools the agent runs.
			GEMINI_CLI_HOME: options.configDir,
			// Trust the working folder for this session (no "Do you trust this folder?" dialog).
			GEMINI_CLI_TRUST_WORKSPACE: 'true',
		};
		if (profile?.systemPrompt) {
			const promptPath = join(options.configDir, 'system.md');
			files.push({ path: promptPath, content: profile.systemPrompt });
			// Replaces Gemini CLI's built-in system prompt with the profile's.
			env.GEMINI_SYSTEM_MD = promptPath;
		}
		const allowed = [...new Set((profile?.allowedTools ?? []).map((tool) => tool.trim()).filter(Boolean))];
		const yolo = profile?.skipPermissions === true || allowed.includes('*');
		const command = ['gemini', ...(profile?.model ? ['--model', profile.model] : [])];
		if (yolo) command.push('--approval-mode', 'yolo');
		else if (allowed.length > 0) {
			const policyPath = join(options.configDir, 'allowed-tools.toml');
			files.push({ path: policyPath, content: allowPolicy([...new Set(allowed.flatMap(policyToolNames))]) });
			// A policy-engine file: these tools run without a confirmation.
			command.push('--policy', policyPath);
		}
		command.push(...options.args);
		return { command, env, files };
	},

	async initialize(context) {
		await answerDialogsUntilIdle(this, context, [trustDialog]);
	},

	detect(buffer, context): Detection {
		return detectGemini(buffer, context.afterInput);
	},

	extractLastReply(screen) {
		return extractGemini(screen);
	},
};
