import type { TerminalStatus } from '../engine/status/statuses.js';

/** What decided a status: the rule's id and the line it matched (the evidence users see). */
export type Detection = { status: TerminalStatus; rule: string; line: string };

export type DetectContext = {
	/** Input was sent and no ready status has been seen since: the screen may still show the old turn. */
	afterInput: boolean;
	/** The profile the terminal was launched with (some CLIs print it in their prompt). */
	profile: string | null;
};

/** An agent profile, as far as launching goes (issue 4 loads them from markdown files). */
export type AgentProfile = {
	name: string;
	model?: string;
	/** The system prompt: the profile's body. */
	systemPrompt?: string;
	/** Tools the agent may use without asking, mapped by the provider to its CLI's own flags. */
	allowedTools?: readonly string[];
	/** The CLI's skip-every-permission mode (yolo, bypass), where the user asked for it. */
	skipPermissions?: boolean;
	/** Extra MCP servers the profile declares, beside cao's own. */
	mcpServers?: Readonly<Record<string, McpServer>>;
	/** Provider-specific passthrough from the profile's frontmatter. */
	options?: Readonly<Record<string, unknown>>;
};

/** A stdio MCP server as agent CLIs configure one. */
export type McpServer = {
	command: string;
	args: readonly string[];
	env: Readonly<Record<string, string>>;
	/** How long the agent may wait for one tool call, where its CLI lets a server say. */
	timeoutMs?: number;
};

export type LaunchOptions = {
	terminalId: string;
	profile: AgentProfile | null;
	/** Extra arguments from the caller. */
	args: readonly string[];
	/** The environment the CLI will have (the engine's, then the terminal's own), for providers that read settings from it. */
	env: Readonly<Record<string, string | undefined>>;
	workingDirectory: string;
	/** A folder of this terminal's own, for the files `launchCommand` asks for (0700). */
	configDir: string;
	/** cao's MCP server (handoff, assign, send_message), configured for this terminal. */
	caoMcp: McpServer;
	/** The CLI runs as root (some refuse their skip-permissions mode then). */
	asRoot?: boolean;
};

/** A file the engine writes (mode 0600) before it starts the CLI: a prompt file, an MCP config. */
export type LaunchFile = { path: string; content: string };

/**
 * A symlink the engine makes at `target` (absolute) to `path`, one of the launch files: for CLIs
 * that read their config only from fixed places and cannot be pointed at the config folder.
 * Removed when the terminal goes; a file of the user's at `target` is never replaced.
 */
export type LaunchLink = { path: string; target: string };

/** Pure data: the engine does the writing and the spawning. */
export type LaunchCommand = {
	command: string[];
	env: Record<string, string>;
	files?: LaunchFile[];
	links?: LaunchLink[];
};

/** A CLI's own record of the conversation: a SQLite file the engine reads, read-only. */
export type ReplyStore = {
	database: string;
	/** Rows that hold the last reply, oldest first (no parameters). */
	query: string;
	/** The reply in those rows; empty when they hold none. */
	reply(rows: readonly Record<string, unknown>[]): string;
};

export type OutputSoFar = { buffer: string; fresh: string };

/** What `initialize()` may do with its terminal. */
export type InitializeContext = {
	/** How long the CLI may take to reach idle: the provider's own figure unless the caller set one. */
	timeoutMs: number;
	waitForStatus(statuses: readonly TerminalStatus[], timeoutMs: number): Promise<Detection>;
	/**
	 * Resolves once `test` accepts the output, checked at once and after each output event;
	 * rejects at the timeout. `buffer` is the status buffer (at most 32 KB); `fresh` is what came
	 * since this wait began.
	 */
	waitForOutput(test: (output: OutputSoFar) => boolean, timeoutMs: number): Promise<OutputSoFar>;
	/** The current screen as tmux renders it. */
	capture(): Promise<string>;
	sendKeys(keys: readonly string[]): Promise<void>;
	paste(text: string): Promise<void>;
	/**
	 * Resolves true once the agent has listed the tools of cao's MCP server (handoff, assign,
	 * send_message), false if that did not happen within `timeoutMs` (the engine warns then).
	 */
	waitForCaoTools(timeoutMs: number): Promise<boolean>;
};

export type InputTuning = {
	/** Wait between the paste and Enter: TUIs that debounce pastes drop an Enter sent too soon. */
	submitDelayMs: number;
	enterCount: number;
	/** Whether the CLI queues input typed while it works. */
	acceptsInputWhileProcessing: boolean;
	/** Text that makes the CLI quit, or key names to send. */
	exit: { text: string } | { keys: readonly string[] };
};

/**
 * One agent CLI: a pure strategy. `detect` and `extractLastReply` do no I/O; `initialize` talks to
 * its terminal only through the context it is given.
 */
export type Provider = {
	readonly name: string;
	readonly input: InputTuning;
	/** How long `initialize` may take to reach idle, by default. */
	readonly initTimeoutMs: number;
	launchCommand(options: LaunchOptions): LaunchCommand;
	initialize(context: InitializeContext): Promise<void>;
	/** Status of the raw output stream (escapes included), newest output last. */
	detect(buffer: string, context: DetectContext): Detection;
	/**
	 * A shorter stream that `detect` reads as it reads `buffer`: a CLI that repaints only the
	 * cells that change needs the screen it has drawn, not just its newest bytes. Called when the
	 * buffer outgrows its limit, and with `newTurn` when input is sent (the stream that follows is
	 * the new turn's, drawn over this screen). Without it the buffer keeps the turn's first bytes
	 * and its newest, and input empties it.
	 */
	compact?(buffer: string, options: { newTurn: boolean }): string;
	/** The agent's last reply from a captured screen, as plain text. */
	extractLastReply(screen: string): string;
	/**
	 * Where the CLI records the conversation itself, for replies its screen cannot hold whole (a
	 * full-screen TUI shows only what fits). Read first; the screen when it has nothing.
	 */
	replyStore?(configDir: string): ReplyStore;
};
