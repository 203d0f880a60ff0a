/** Where a terminal lives, as recorded in the store: enough to find it again after a restart. */
export type TerminalRef = { terminalId: string; session: string; window: string };

export type TerminalSpec = TerminalRef & {
	/** The agent's argument vector; never a shell string. */
	command: readonly string[];
	workingDirectory: string;
	env: Readonly<Record<string, string>>;
	/** Variables the agent must not inherit from the server or the engine. */
	unsetEnv?: readonly string[];
};

export type AttachIo = {
	input: NodeJS.ReadStream;
	output: NodeJS.WriteStream;
	/** The byte that detaches, e.g. "\x1d" (Ctrl-]). */
	detachKey: string;
};

/** The exit reason of every terminal lost with its server (tmux killed or crashed). */
export const serverGoneReason = 'window closed (tmux server gone)';

/** How far a staged delivery got: its text waits (`staged`), or waits to be submitted (`pasted`). */
export type StagedStep = 'staged' | 'pasted';

/** What a backend reports about one terminal. */
export type TerminalSink = {
	/** Decoded output, coalesced (~50 ms, at most 64 KB), and the raw bytes it came from. */
	output(data: string, bytes: Buffer): void;
	/** The agent's process or window went away. */
	exited(reason: string): void;
	/**
	 * Output was lost: the terminal's pipe had closed and was opened again. `screen` is the
	 * screen as it is now, to judge the terminal from.
	 */
	resumed(screen: string): void;
};

/**
 * A terminal multiplexer as the engine sees it: tmux now, node-pty later. The engine never knows
 * which one it has.
 */
export type TerminalBackend = {
	readonly kind: 'tmux' | 'pty';
	/** For humans: which server or mode. */
	readonly description: string;
	start(): Promise<void>;
	/** Creates the terminal with output flowing to `sink` before the agent writes its first byte. */
	create(spec: TerminalSpec, sink: TerminalSink): Promise<void>;
	/**
	 * Reads a terminal that runs already (one a previous engine created), from now on; false when
	 * it is gone.
	 */
	adopt(ref: TerminalRef, sink: TerminalSink): Promise<boolean>;
	/** Input as a bracketed paste, without submitting it. */
	paste(ref: TerminalRef, text: string): Promise<void>;
	/**
	 * Input in steps a restarted engine can resume, for the inbox: `stage` keeps the text where
	 * the terminal lives, `pasteStaged` pastes it, `submitStaged` sends the keys that submit it.
	 * No step is ever done twice: `staged` tells how far each delivery got.
	 */
	stage(ref: TerminalRef, text: string): Promise<void>;
	pasteStaged(ref: TerminalRef): Promise<void>;
	submitStaged(ref: TerminalRef, keys: readonly string[]): Promise<void>;
	/** Deliveries begun and not ended, by terminal id: `staged` (nothing pasted) or `pasted`. */
	staged(): Promise<Map<string, StagedStep>>;
	/** Forgets a staged delivery (its messages were never marked as being sent). */
	dropStaged(ref: TerminalRef): Promise<void>;
	/** tmux key names: `Enter`, `Escape`, `C-c`, `Up` … */
	sendKeys(ref: TerminalRef, keys: readonly string[]): Promise<void>;
	/** The rendered screen; with `history`, the scrollback too. */
	capture(ref: TerminalRef, options?: { history?: boolean }): Promise<string>;
	/** Kills the terminal and stops reading it. */
	destroy(ref: TerminalRef): Promise<void>;
	/** Stops reading the terminal and leaves it running. */
	release(ref: TerminalRef): Promise<void>;
	/** The terminals running now in `cao-` sessions, this engine's or not. */
	listWindows(): Promise<Array<{ session: string; window: string }>>;
	/**
	 * Wires the terminal to the user's terminal until `detachKey` (a control character) is typed
	 * or the program ends. Only a backend whose terminals live in this process has it (pty); tmux
	 * terminals are attached with tmux itself.
	 */
	attach?(ref: TerminalRef, io: AttachIo): Promise<void>;
	/** Releases every terminal; the terminals themselves keep running where the backend allows. */
	stop(): Promise<void>;
};

/** Key names the backends accept: tmux's, like `Enter`, `C-c`, `M-x`, `F5`, `BTab`. */
export const keyNamePattern = /^(?:[CMS]-)*[A-Za-z0-9]{1,10}$/;
