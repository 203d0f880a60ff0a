import type * as NodePty from 'node-pty';
import type * as XtermHeadless from '@xterm/headless';
import { CaoError, oneLine } from '../../errors.js';
import { type ByteRing, createByteRing } from '../byte-ring.js';
import { createOutputCoalescer } from '../output-coalescer.js';
import { keyBytes } from './key-bytes.js';
import type { AttachIo, TerminalBackend, TerminalRef, TerminalSink } from './types.js';

export type PtyBackendOptions = {
	warn: (message: string) => void;
	size?: { columns: number; rows: number };
	/** Lines of scrollback each terminal's screen keeps. */
	scrollback?: number;
	/** Output kept for a screen not made yet. */
	tailLimit?: number;
	/** How long an agent gets to end on SIGTERM before SIGKILL. */
	killGraceMs?: number;
};

type Entry = {
	ref: TerminalRef;
	pty: IPty;
	sink: TerminalSink | undefined;
	coalescer: ReturnType<typeof createOutputCoalescer>;
	/** The rendered screen, made when first asked for (a capture, an attach). */
	screen: HeadlessTerminal | undefined;
	/** Until then, the newest output (at most `tailLimit` bytes), for the screen to start from. */
	tail: ByteRing | undefined;
	/** Whether the program turned bracketed-paste mode on, as seen in its output before a screen. */
	bracketed: boolean;
	/** Who sees the raw output as it comes (an attached user's terminal). */
	viewers: Set<(data: Buffer) => void>;
	/** Resolves once the screen has taken every byte written to it so far. */
	drawn: Promise<void>;
	exited: Promise<void>;
};

type PtyModule = typeof NodePty;
type XtermModule = typeof XtermHeadless;
type IPty = NodePty.IPty;
type HeadlessTerminal = XtermHeadless.Terminal;

/**
 * Modes an agent may have turned on in the user's terminal while attached, turned off on detach:
 * bracketed paste, focus events, mouse reporting, kitty keyboard flags, the alternate screen;
 * then the cursor shown and colours reset.
 */
const resetModes =
	'\x1b[?2004l\x1b[?1004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[=0;1u\x1b[?1049l\x1b[?25h\x1b[0m';

/** "exited with code 3", "killed by signal 15": what `terminal.{id}.exited` says. */
const exitReason = (exitCode: number, signal: number | undefined) =>
	signal ? `killed by signal ${signal}` : `exited with code ${exitCode}`;

/**
 * Terminals as children of the engine, in node-pty: for machines without tmux, or everything in
 * one process. They end with the engine. Each gets a headless xterm for its rendered screen
 * (what `capture` returns) when first read, and the program's own bracketed-paste mode decides
 * how input is pasted.
 */
export const createPtyBackend = (options: PtyBackendOptions): TerminalBackend => {
	const size = options.size ?? { columns: 200, rows: 50 };
	const scrollback = options.scrollback ?? 2_000;
	const tailLimit = options.tailLimit ?? 64 * 1024;
	const killGraceMs = options.killGraceMs ?? 3000;
	const live = new Map<string, Entry>();
	/** Inbox deliveries begun: the text until it is pasted. */
	const staged = new Map<string, { text: string | undefined }>();
	let pty: PtyModule | undefined;
	let xterm: XtermModule | undefined;

	const entryOf = (ref: TerminalRef): Entry => {
		const entry = live.get(ref.terminalId);
		if (!entry) throw new CaoError(`terminal ${ref.terminalId} is not running`);
		return entry;
	};

	// "\x1b[?2004h" / "\x1b[?2004l": the program turns bracketed paste on or off.
	const pasteOn = Buffer.from('\x1b[?2004h');
	const pasteOff = Buffer.from('\x1b[?2004l');

	/**
	 * Output goes to the screen once there is one; before, it is kept (the newest `tailLimit`
	 * bytes): emulating every terminal's screen costs as much CPU as the rest of the engine, and
	 * a headless engine whose agents are never read needs none.
	 */
	const take = (entry: Entry, data: Buffer) => {
		const screen = entry.screen;
		if (screen) {
			entry.drawn = new Promise((resolve) => screen.write(data, resolve));
			return;
		}
		const on = data.lastIndexOf(pasteOn);
		const off = data.lastIndexOf(pasteOff);
		if (on !== off) entry.bracketed = on > off;
		entry.tail?.write(data);
	};

	/** The terminal's screen, made now from the output kept if there is none yet. */
	const screenOf = (entry: Entry): HeadlessTerminal | undefined => {
		if (entry.screen || !xterm) return entry.screen;
		const screen = new xterm.Terminal({
			cols: size.columns,
			rows: size.rows,
			scrollback,
			allowProposedApi: true,
		});
		entry.screen = screen;
		const kept = entry.tail?.bytes() ?? Buffer.alloc(0);
		entry.tail = undefined;
		entry.drawn = new Promise((resolve) => screen.write(kept, resolve));
		return screen;
	};

	/** The rendered screen (with the scrollback when asked), as tmux's `capture-pane -p -J`. */
	const render = async (entry: Entry, history: boolean): Promise<string> => {
		const screen = screenOf(entry);
		await entry.drawn;
		if (!screen) return '';
		const buffer = screen.buffer.active;
		const rows: string[] = [];
		for (let y = history ? 0 : buffer.baseY; y < buffer.baseY + screen.rows; y++) {
			const line = buffer.getLine(y);
			if (!line) continue;
			// A wrapped row continues the one before, as capture-pane -J joins them.
			if (line.isWrapped && rows.length > 0) rows[rows.length - 1] += line.translateToString(true);
			else rows.push(line.translateToString(true));
		}
		return `${rows.join('\n')}\n`;
	};

	const kill = async (entry: Entry) => {
		const signal = (name: NodeJS.Signals) => {
			try {
				// The whole process group: the agent's own children (a shell tool, an MCP server) too.
				process.kill(-entry.pty.pid, name);
			} catch {
				try {
					entry.pty.kill(name);
				} catch {
					// Gone already.
				}
			}
		};
		// A hang-up first, as a closing terminal (or tmux's kill-window) gives: an interactive shell
		// ignores SIGTERM.
		signal('SIGHUP');
		signal('SIGTERM');
		const timer = setTimeout(() => signal('SIGKILL'), killGraceMs);
		await entry.exited;
		clearTimeout(timer);
	};

	const paste = async (ref: TerminalRef, text: string) => {
		const entry = entryOf(ref);
		await entry.drawn;
		// As tmux's paste-buffer -p: bracketed only when the program asked for it.
		const bracketed = entry.screen ? entry.screen.modes.bracketedPasteMode : entry.bracketed;
		entry.pty.write(bracketed ? `\x1b[200~${text}\x1b[201~` : text);
	};

	const sendKeys = async (ref: TerminalRef, keys: readonly string[]) => {
		entryOf(ref).pty.write(keys.map(keyBytes).join(''));
	};

	return {
		kind: 'pty',
		description: 'pty (terminals end with the engine)',

		async start() {
			try {
				pty = await import('node-pty');
				// A CommonJS package: its exports arrive as the default export.
				const headless = await import('@xterm/headless');
				xterm = ((headless as { default?: XtermModule }).default ?? headless) as XtermModule;
			} catch (error) {
				throw new CaoError(`the pty backend cannot load node-pty: ${oneLine(error)}`);
			}
		},

		async create(spec, sink) {
			if (!pty) throw new CaoError('the pty backend is not started');
			const [file, ...args] = spec.command;
			if (!file) throw new CaoError('no command to run');
			const env: Record<string, string> = {};
			for (const [key, value] of Object.entries(process.env))
				if (value !== undefined && !spec.unsetEnv?.includes(key)) env[key] = value;
			Object.assign(env, spec.env, { TERM: 'xterm-256color' });
			let child: IPty;
			try {
				child = pty.spawn(file, args, {
					name: 'xterm-256color',
					cols: size.columns,
					rows: size.rows,
					cwd: spec.workingDirectory,
					env,
					encoding: null,
				});
			} catch (error) {
				throw new CaoError(`cannot start ${file}: ${oneLine(error)}`);
			}
			let exit: () => void = () => {};
			const entry: Entry = {
				ref: spec,
				pty: child,
				sink,
				coalescer: createOutputCoalescer((text, bytes) => entry.sink?.output(text, bytes)),
				screen: undefined,
				tail: createByteRing(tailLimit),
				bracketed: false,
				viewers: new Set(),
				drawn: Promise.resolve(),
				exited: new Promise((resolve) => {
					exit = resolve;
				}),
			};
			live.set(spec.terminalId, entry);
			child.onData((data: string | Buffer) => {
				const bytes = typeof data === 'string' ? Buffer.from(data) : data;
				take(entry, bytes);
				entry.coalescer.push(bytes);
				for (const viewer of entry.viewers) viewer(bytes);
			});
			child.onExit(({ exitCode, signal }) => {
				entry.coalescer.end();
				live.delete(spec.terminalId);
				staged.delete(spec.terminalId);
				entry.viewers.clear();
				exit();
				entry.sink?.exited(exitReason(exitCode, signal));
				entry.screen?.dispose();
			});
		},

		async adopt() {
			// A pty ends with the engine that made it: there is never one to take over.
			return false;
		},

		paste,
		sendKeys,

		// Staged deliveries end with the engine, as its terminals do: memory is enough.
		async stage(ref, text) {
			entryOf(ref);
			staged.set(ref.terminalId, { text });
		},

		async pasteStaged(ref) {
			const delivery = staged.get(ref.terminalId);
			if (delivery?.text === undefined)
				throw new CaoError(`nothing is staged for terminal ${ref.terminalId}`);
			await paste(ref, delivery.text);
			delivery.text = undefined;
		},

		async submitStaged(ref, keys) {
			await sendKeys(ref, keys);
			staged.delete(ref.terminalId);
		},

		async staged() {
			return new Map([...staged].map(([id, { text }]) => [id, text === undefined ? 'pasted' : 'staged']));
		},

		async dropStaged(ref) {
			staged.delete(ref.terminalId);
		},

		async capture(ref, captureOptions = {}) {
			return render(entryOf(ref), captureOptions.history ?? false);
		},

		async destroy(ref) {
			const entry = live.get(ref.terminalId);
			if (!entry) return;
			entry.sink = undefined;
			await kill(entry);
		},

		async release(ref) {
			// Nothing can keep a pty past its reader: the terminal runs on, unread.
			const entry = live.get(ref.terminalId);
			if (entry) entry.sink = undefined;
		},

		async attach(ref, io: AttachIo) {
			const entry = entryOf(ref);
			const { input, output, detachKey } = io;
			await entry.drawn;
			// What the agent shows now, then its own repaint at the user's size.
			output.write(`\x1b[2J\x1b[H${(await render(entry, false)).trimEnd().split('\n').join('\r\n')}`);
			const columns = output.columns || size.columns;
			const rows = output.rows || size.rows;
			const resize = (cols: number, height: number) => {
				try {
					entry.pty.resize(cols, height);
				} catch {
					// Ended meanwhile.
				}
			};
			resize(columns, rows);
			const view = (data: Buffer) => output.write(data);
			entry.viewers.add(view);
			const wasRaw = input.isRaw;
			if (input.isTTY) input.setRawMode(true);
			// Read as Ink does ('readable', not 'data'), so the panel reads again after the detach.
			await new Promise<void>((resolve) => {
				let detached = false;
				const done = () => {
					if (detached) return;
					detached = true;
					input.off('readable', readable);
					output.off('resize', resized);
					resolve();
				};
				const readable = () => {
					for (
						let chunk = input.read() as Buffer | null;
						chunk && !detached;
						chunk = input.read() as Buffer | null
					) {
						const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
						const at = data.indexOf(detachKey);
						if (at === -1) entry.pty.write(data.toString('utf8'));
						else {
							if (at > 0) entry.pty.write(data.subarray(0, at).toString('utf8'));
							done();
						}
					}
				};
				const resized = () => resize(output.columns || columns, output.rows || rows);
				input.on('readable', readable);
				output.on('resize', resized);
				void entry.exited.then(done);
			});
			entry.viewers.delete(view);
			if (input.isTTY) input.setRawMode(wasRaw);
			output.write(resetModes);
			resize(size.columns, size.rows);
		},

		async listWindows() {
			return [...live.values()].map(({ ref }) => ({ session: ref.session, window: ref.window }));
		},

		/** Ends every terminal: each one's exit is reported, as it really ends. */
		async stop() {
			await Promise.all([...live.values()].map(kill));
		},
	};
};
