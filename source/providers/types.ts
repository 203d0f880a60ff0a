import type { TerminalStatus } from '../engine/status/statuses.js';

/** What decided a status: the rule's id and the line it matched (the evidence users see). */
export type Detection = { status: TerminalStatus; rule: string; line: string };

export type DetectContext = {
	/** Input was sent and no ready status has been seen since: the screen may still show the old turn. */
	afterInput: boolean;
	/** The profile the terminal was launched with (some CLIs print it in their prompt). */
	profile: string | null;
};

export type LaunchOptions = {
	profile: string | null;
	/** Extra arguments from the profile or the caller. */
	args: readonly string[];
	/** The engine's environment, for providers that forward settings of their own. */
	env: Readonly<Record<string, string | undefined>>;
};

export type LaunchCommand = { command: string[]; env: Record<string, string> };

/** What `initialize()` may do with its terminal. */
export type InitializeContext = {
	/** How long the CLI may take to reach idle: the provider's own figure unless the caller set one. */
	timeoutMs: number;
	waitForStatus(statuses: readonly TerminalStatus[], timeoutMs: number): Promise<Detection>;
	sendKeys(keys: readonly string[]): Promise<void>;
	paste(text: string): Promise<void>;
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
	/** The agent's last reply from a captured screen, as plain text. */
	extractLastReply(screen: string): string;
};
