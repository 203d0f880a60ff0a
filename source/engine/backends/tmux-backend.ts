import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { oneLine, ValidationError } from '../../errors.js';
import { type FifoReader, makeFifo, openFifoReader } from '../fifo/fifo-reader.js';
import { commandSeparator, type TmuxArg, TmuxError, type TmuxRunner } from './tmux.js';
import {
	keyNamePattern,
	serverGoneReason,
	type StagedStep,
	type TerminalBackend,
	type TerminalRef,
	type TerminalSink,
} from './types.js';

type Attached = {
	ref: TerminalRef;
	windowId: string;
	reader: FifoReader;
	sink: TerminalSink;
	/** Armed by input: fires when no output followed it (see `watchForOutput`). */
	watch?: NodeJS.Timeout;
};

export type TmuxBackendOptions = {
	tmux: TmuxRunner;
	/** Folder for the per-terminal FIFOs. */
	fifoDir: string;
	/** Reports trouble that does not belong to one call (the watcher died, a read failed). */
	warn: (message: string) => void;
	/** Window size for new sessions; agents render to it while nobody is attached. */
	size?: { columns: number; rows: number };
	/** How long input may go without output (an echo at least) before the pipe is checked. */
	pipeCheckMs?: number;
};

const isAlive = (pid: number): boolean => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: it exists but belongs to someone else.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

/** A zombie has ended; only its parent (tmux) has yet to collect it, which may take a while. */
const isZombie = (pid: number): boolean => {
	try {
		// "4288 (sleep) Z 1 …": the state follows the command's closing parenthesis.
		return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
};

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
	try {
		process.kill(-pid, signal);
	} catch {
		// Gone already.
	}
};

/**
 * Ends what a killed window leaves running: tmux sends its pane SIGHUP, which some agents ignore
 * (Gemini CLI does) and live on with no terminal. The pane's process leads its own group; it gets
 * SIGTERM, and SIGKILL if it is still there after `graceMs`.
 */
const endProcessGroup = async (pid: number, graceMs = 2000) => {
	const running = () => isAlive(pid) && !isZombie(pid);
	if (!running()) return;
	signalGroup(pid, 'SIGTERM');
	const deadline = Date.now() + graceMs;
	// Not a child of ours: no exit event to wait for, so look now and then.
	while (running() && Date.now() < deadline) await delay(25);
	if (running()) signalGroup(pid, 'SIGKILL');
};

/** `=name` asks tmux for an exact match rather than a prefix or pattern. */
/** An inbox delivery's buffers: "cao-inbox-ID" (the text) and "cao-inbox-ID-submit" (the marker). */
const stagedBuffers = (terminalId: string) => ({
	text: `cao-inbox-${terminalId}`,
	marker: `cao-inbox-${terminalId}-submit`,
});
// "cao-inbox-3f9a1c2e" or "cao-inbox-3f9a1c2e-submit", as list-buffers names them.
const stagedBufferPattern = /^cao-inbox-([A-Za-z0-9_-]+?)(-submit)?$/;

const checkKeyNames = (keys: readonly string[]) => {
	for (const key of keys) {
		if (!keyNamePattern.test(key)) throw new ValidationError(`invalid key name '${key}'`);
	}
};

export const tmuxTarget = (ref: Pick<TerminalRef, 'session' | 'window'>) => `=${ref.session}:=${ref.window}`;

/** tmux expands formats (`#{…}`, and `#(…)`, which runs a shell command) in many arguments. */
const tmuxLiteral = (text: string) => text.replaceAll('#', '##');

/** pipe-pane takes a shell command (tmux runs it with sh -c, after format expansion). */
const pipeCommand = (fifo: string) => `exec cat >> '${tmuxLiteral(fifo.replaceAll("'", `'\\''`))}'`;

export const createTmuxBackend = (options: TmuxBackendOptions): TerminalBackend => {
	const { tmux, fifoDir, warn } = options;
	const size = options.size ?? { columns: 200, rows: 50 };
	const pipeCheckMs = options.pipeCheckMs ?? 5000;
	const attached = new Map<string, Attached>();
	// The pid lets a later engine tell a dead engine's leftovers from a live one's.
	const channel = `cao-exit-${process.pid}-${randomBytes(3).toString('hex')}`;
	// A sparse array index of our own, from a space so large that engines starting at the same
	// moment do not pick the same one (which would silence the first).
	const indexSpace = 2_000_000_000;
	let hookIndex = 1000 + (randomBytes(4).readUInt32BE() % indexSpace);
	const hook = () => `window-unlinked[${hookIndex}]`;
	let waiter: ChildProcess | undefined;
	/** Counts the waiter's wake-ups, so a create can tell whether one came while it ran. */
	let wakeups = 0;
	let stopping = false;

	const detach = (terminalId: string): Attached | undefined => {
		const entry = attached.get(terminalId);
		if (!entry) return undefined;
		attached.delete(terminalId);
		clearTimeout(entry.watch);
		entry.reader.stop();
		return entry;
	};

	const captureScreen = (target: string, history = false) =>
		tmux.run(['capture-pane', '-p', '-J', ...(history ? ['-S', '-'] : []), '-t', target]);

	/**
	 * Pipe liveness. A pane's pipe can close under us (its `cat` killed, a user's pipe-pane) or
	 * stall; the pane then draws and nothing reaches the FIFO. One tmux call tells whether the pipe
	 * is open and when the pane last drew; a closed or stalled pipe is opened again and the
	 * terminal judged from its screen. It runs only when something points at trouble: the FIFO's
	 * writer went away, or input got no output at all.
	 */
	const checkPipe = async (entry: Attached, writerGone = false): Promise<void> => {
		let state: string;
		try {
			state = await tmux.run([
				'display-message',
				'-p',
				'-t',
				entry.windowId,
				'#{pane_dead} #{pane_pipe} #{window_activity}',
			]);
		} catch {
			return; // The window is gone: the exit hook reports it.
		}
		if (stopping || attached.get(entry.ref.terminalId) !== entry) return;
		const [dead, pipe, activity] = state.trim().split(' ');
		if (dead === '1') return;
		// window_activity is in whole seconds: only a later second than our newest byte counts.
		const stalled = Number(activity) > Math.floor(entry.reader.lastReadAt / 1000);
		// The writer's end is final even where tmux has not seen it yet (pane_pipe still 1).
		if (pipe === '1' && !stalled && !writerGone) return;
		try {
			await tmux.run(['pipe-pane', '-t', entry.windowId, pipeCommand(entry.reader.path)]);
			entry.sink.resumed(await captureScreen(entry.windowId));
		} catch (error) {
			warn(`terminal ${entry.ref.terminalId}: its output pipe could not be opened again: ${oneLine(error)}`);
		}
	};

	/** Input was sent: some output (its echo) is due; none within `pipeCheckMs` checks the pipe. */
	const watchForOutput = (terminalId: string) => {
		const entry = attached.get(terminalId);
		if (!entry) return;
		// From the newest input: output since an older one says nothing of this one.
		clearTimeout(entry.watch);
		const bytes = entry.reader.bytes;
		entry.watch = setTimeout(() => {
			entry.watch = undefined;
			if (entry.reader.bytes === bytes) void checkPipe(entry);
		}, pipeCheckMs);
		entry.watch.unref();
	};

	/** Which of our windows are gone? Returns whether the server still runs. */
	const reconcile = async (): Promise<boolean> => {
		// Only windows we had before asking: one created while the answer is on its way is not in it.
		const known = [...attached.values()];
		let live = new Set<string>();
		let serverAlive = true;
		try {
			live = new Set((await tmux.run(['list-windows', '-a', '-F', '#{window_id}'])).split('\n'));
		} catch (error) {
			if (!(error instanceof TmuxError && error.kind === 'no-server')) throw error;
			serverAlive = false;
		}
		// With the server gone, a window that closed and a server that died look the same.
		const reason = serverAlive ? 'window closed' : serverGoneReason;
		for (const entry of known) {
			if (live.has(entry.windowId) || attached.get(entry.ref.terminalId) !== entry) continue;
			detach(entry.ref.terminalId);
			entry.sink.exited(reason);
		}
		return serverAlive;
	};

	/** Looks for closed windows, then waits again; after a failure, looks again shortly. */
	const recheck = () =>
		reconcile()
			.then((serverAlive) => {
				if (serverAlive && attached.size > 0) armWaiter();
			})
			.catch((error: unknown) => {
				warn(`tmux watcher: ${oneLine(error)}; retrying`);
				setTimeout(armWaiter, 500).unref();
			});

	/**
	 * Exits are events, not polling: a global `window-unlinked` hook (at an array index of our
	 * own, beside any hooks of the user's) unlocks our tmux channel, and one `tmux wait-for -L`
	 * client blocked on that lock wakes. Unlocks are sticky: events that come while nobody waits
	 * leave the channel unlocked and the next waiter returns at once. (`wait-for -S` signals are
	 * not: two of them with no waiter cancel out.) The waiter also ends when the server dies.
	 * Not a control-mode client: tmux 3.3–3.6 segfaults when several come and go at once.
	 */
	const armWaiter = () => {
		if (waiter || stopping) return;
		// Its own process group: a Ctrl-C meant for the engine must not end it first.
		const child = spawn(tmux.binary, tmux.argv(['wait-for', '-L', channel]), {
			stdio: 'ignore',
			detached: true,
		});
		waiter = child;
		// A failed spawn gives 'error' and 'close' but no 'exit': 'close' comes in every case.
		child.on('error', (error) => warn(`tmux wait-for: ${oneLine(error)}`));
		child.on('close', () => {
			waiter = undefined;
			wakeups++;
			if (!stopping) void recheck();
		});
	};

	/** Releases a channel's waiter, if any, so that it exits by itself rather than being killed. */
	const unlock = (name: string) => tmux.run(['wait-for', '-U', name]).catch(() => {});

	/**
	 * `set-hook` arguments that point the hook at our channel; chained into window creation. The
	 * unlock runs through run-shell so that its error when nobody holds the lock (a window closed
	 * while the engine was looking) stays out of the user's status line.
	 */
	const hookArgs = () => [
		'set-hook',
		'-g',
		hook(),
		`run-shell -b "tmux -S #{socket_path} wait-for -U ${channel} 2>/dev/null || true"`,
	];

	/**
	 * Hooks and waiters left by engines that were killed (`kill -9`: no stop() ran): their hooks
	 * are removed and their waiters woken so they exit. Also moves our hook index off any taken one.
	 */
	const sweepStale = async () => {
		let hooks: string;
		try {
			hooks = await tmux.run(['show-hooks', '-g']);
		} catch {
			return; // No server: nothing is stale, nothing is taken.
		}
		const taken = new Set<number>();
		// 'window-unlinked[1234] run-shell -b "tmux -S #{socket_path} wait-for -U cao-exit-4242-a1b2c3 …"'
		for (const match of hooks.matchAll(/^window-unlinked\[(\d+)\] .*\b(cao-exit-(\d+)-[0-9a-f]+)\b/gm)) {
			const [, index, staleChannel, pid] = match;
			if (isAlive(Number(pid))) {
				taken.add(Number(index));
				continue;
			}
			await tmux.run(['set-hook', '-gu', `window-unlinked[${index}]`]).catch(() => {});
			// Twice: once to release a waiter it left, once to drop the lock that waiter took.
			await unlock(staleChannel as string);
			await unlock(staleChannel as string);
		}
		while (taken.has(hookIndex)) hookIndex = 1000 + ((hookIndex - 999) % indexSpace);
	};

	const sessionQueues = new Map<string, Promise<unknown>>();
	const inSession = <T>(session: string, task: () => Promise<T>): Promise<T> => {
		const previous = sessionQueues.get(session) ?? Promise.resolve();
		const result = previous.then(task, task);
		const tail = result.catch(() => {});
		sessionQueues.set(session, tail);
		void tail.then(() => {
			if (sessionQueues.get(session) === tail) sessionQueues.delete(session);
		});
		return result;
	};

	const sessionExists = async (session: string) => {
		try {
			await tmux.run(['has-session', '-t', `=${session}`]);
			return true;
		} catch (error) {
			if (error instanceof TmuxError && error.kind !== 'not-installed') return false;
			throw error;
		}
	};

	/** A fresh FIFO for the terminal (a killed engine's may still be there) and its reader. */
	const openReader = async (terminalId: string, sink: TerminalSink) => {
		const fifo = join(fifoDir, `${terminalId}.fifo`);
		await rm(fifo, { force: true });
		await makeFifo(fifo);
		const reader = openFifoReader({
			path: fifo,
			onData: (text, bytes) => sink.output(text, bytes),
			onError: (error) => warn(`terminal ${terminalId}: ${error.message}`),
			onWriterGone: () => {
				const entry = attached.get(terminalId);
				if (entry) void checkPipe(entry, true);
			},
		});
		return { fifo, reader };
	};

	const release = async (ref: TerminalRef) => {
		const entry = detach(ref.terminalId);
		// pipe-pane with no command closes the pane's pipe: the agent runs on, unread.
		if (entry) await tmux.run(['pipe-pane', '-t', entry.windowId]).catch(() => {});
	};

	return {
		kind: 'tmux',
		description: tmux.socket ? `tmux -L ${tmux.socket}` : 'tmux (default server)',

		async start() {
			mkdirSync(fifoDir, { recursive: true, mode: 0o700 });
			stopping = false;
			// Fails here, in one line, when tmux is missing; starts no server.
			await tmux.run(['-V']);
			await sweepStale();
		},

		async create(spec, sink) {
			const { fifo, reader } = await openReader(spec.terminalId, sink);
			const env = Object.entries(spec.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
			// One tmux invocation: the window, our exit hook (the server may be new) and the pipe.
			// tmux runs the commands before it reads the new pane, so the pipe is attached before the
			// agent's first byte. `env` makes tmux exec the argv directly even when it is a single word
			// (tmux runs a lone word through sh -c).
			const open = async () => {
				const exists = await sessionExists(spec.session);
				const where = exists
					? ['new-window', '-d', '-t', `=${spec.session}:`]
					: ['new-session', '-d', '-s', spec.session, '-x', String(size.columns), '-y', String(size.rows)];
				// new-session -e also sets the session's environment, which later windows would inherit.
				const unsetSessionEnv = exists
					? []
					: Object.keys(spec.env).flatMap((key): TmuxArg[] => [
							commandSeparator,
							'set-environment',
							'-t',
							`=${spec.session}`,
							'-u',
							key,
						]);
				return tmux.run([
					...where,
					'-n',
					spec.window,
					'-c',
					tmuxLiteral(spec.workingDirectory),
					...env,
					'-P',
					'-F',
					'#{window_id}',
					'env',
					...(spec.unsetEnv ?? []).flatMap((name) => ['-u', name]),
					'--',
					// tmux gives a pane the PATH of the client that made it, over -e: pass it to env.
					...(spec.env.PATH === undefined ? [] : [`PATH=${spec.env.PATH}`]),
					...spec.command,
					...unsetSessionEnv,
					commandSeparator,
					// A user's `remain-on-exit on` would keep a dead pane and hide the exit.
					'set-option',
					'-w',
					'-t',
					tmuxTarget(spec),
					'remain-on-exit',
					'off',
					commandSeparator,
					...hookArgs(),
					commandSeparator,
					'pipe-pane',
					'-t',
					tmuxTarget(spec),
					pipeCommand(fifo),
				]);
			};
			try {
				const seen = wakeups;
				// Terminals created at once in one session must not both try to create the session.
				const output = await inSession(spec.session, open);
				const windowId = output.trim().split('\n')[0] ?? '';
				attached.set(spec.terminalId, { ref: spec, windowId, reader, sink });
				// A wake-up while tmux was answering was judged without this window: look again.
				if (wakeups !== seen && !waiter) void recheck();
				else armWaiter();
			} catch (error) {
				reader.stop();
				// The window may exist if only pipe-pane failed.
				await tmux.run(['kill-window', '-t', tmuxTarget(spec)]).catch(() => {});
				throw error;
			}
		},
		async adopt(ref, sink) {
			// Listed, not looked up: display-message answers a missing target with the current window.
			let listing: string;
			try {
				listing = await tmux.run([
					'list-windows',
					'-t',
					`=${ref.session}`,
					'-F',
					// Not a tab: a tmux whose client has no UTF-8 locale (LANG unset) prints it as "_".
					'#{window_id} #{window_name}',
				]);
			} catch (error) {
				if (error instanceof TmuxError && (error.kind === 'no-target' || error.kind === 'no-server'))
					return false;
				throw error;
			}
			const windowId = listing
				.split('\n')
				.map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)])
				.find(([, name]) => name === ref.window)?.[0];
			if (!windowId) return false;
			const { fifo, reader } = await openReader(ref.terminalId, sink);
			try {
				// Our exit hook (this engine's index) and a pipe to our FIFO, replacing the old one.
				await tmux.run([...hookArgs(), commandSeparator, 'pipe-pane', '-t', windowId, pipeCommand(fifo)]);
			} catch (error) {
				reader.stop();
				throw error;
			}
			attached.set(ref.terminalId, { ref, windowId, reader, sink });
			armWaiter();
			return true;
		},

		async paste(ref, text) {
			const buffer = `cao-${ref.terminalId}`;
			// -p: bracketed paste when the program asked for it; -d: drop the buffer afterwards.
			await tmux.run(
				[
					'load-buffer',
					'-b',
					buffer,
					'-',
					commandSeparator,
					'paste-buffer',
					'-p',
					'-d',
					'-b',
					buffer,
					'-t',
					tmuxTarget(ref),
				],
				{ input: text },
			);
			watchForOutput(ref.terminalId);
		},

		// A staged delivery lives in the tmux server, so it outlives a killed engine: the text in
		// one buffer until paste-buffer -d drops it, a marker in another until the keys are sent
		// (by the same tmux call). Which buffers remain says which step comes next.
		async stage(ref, text) {
			const { text: textBuffer, marker } = stagedBuffers(ref.terminalId);
			await tmux.run(
				['load-buffer', '-b', textBuffer, '-', commandSeparator, 'set-buffer', '-b', marker, 'submit'],
				{ input: text },
			);
		},

		async pasteStaged(ref) {
			await tmux.run([
				'paste-buffer',
				'-p',
				'-d',
				'-b',
				stagedBuffers(ref.terminalId).text,
				'-t',
				tmuxTarget(ref),
			]);
		},

		async submitStaged(ref, keys) {
			checkKeyNames(keys);
			const { marker } = stagedBuffers(ref.terminalId);
			await tmux.run([
				'send-keys',
				'-t',
				tmuxTarget(ref),
				...keys,
				commandSeparator,
				'delete-buffer',
				'-b',
				marker,
			]);
			watchForOutput(ref.terminalId);
		},

		async staged() {
			let names: string[];
			try {
				names = (await tmux.run(['list-buffers', '-F', '#{buffer_name}'])).split('\n');
			} catch (error) {
				if (error instanceof TmuxError && error.kind === 'no-server') return new Map();
				throw error;
			}
			const steps = new Map<string, StagedStep>();
			for (const name of names) {
				const found = stagedBufferPattern.exec(name);
				if (!found?.[1]) continue;
				// The text buffer wins: until it is pasted, nothing was.
				if (!found[2]) steps.set(found[1], 'staged');
				else if (!steps.has(found[1])) steps.set(found[1], 'pasted');
			}
			return steps;
		},

		async dropStaged(ref) {
			const { text, marker } = stagedBuffers(ref.terminalId);
			// One call each: tmux stops a command list at the first buffer that is not there.
			for (const buffer of [text, marker])
				await tmux.run(['delete-buffer', '-b', buffer]).catch((error: unknown) => {
					if (!(error instanceof TmuxError)) throw error;
				});
		},

		async sendKeys(ref, keys) {
			checkKeyNames(keys);
			await tmux.run(['send-keys', '-t', tmuxTarget(ref), ...keys]);
			watchForOutput(ref.terminalId);
		},

		async capture(ref, captureOptions = {}) {
			// -J joins wrapped lines so a long reply line comes back whole.
			return captureScreen(tmuxTarget(ref), captureOptions.history);
		},

		async destroy(ref) {
			const entry = detach(ref.terminalId);
			const target = entry ? entry.windowId : tmuxTarget(ref);
			let pids: number[] = [];
			try {
				pids = (await tmux.run(['list-panes', '-t', target, '-F', '#{pane_pid}']))
					.split('\n')
					.map(Number)
					.filter((pid) => pid > 0);
				await tmux.run(['kill-window', '-t', target]);
			} catch (error) {
				// Already gone is the state we wanted.
				if (!(error instanceof TmuxError && (error.kind === 'no-target' || error.kind === 'no-server'))) {
					throw error;
				}
			}
			await Promise.all(pids.map((pid) => endProcessGroup(pid)));
		},

		release,

		async listWindows() {
			try {
				// A space, not a tab: tmux prints a tab in -F as _ without a UTF-8 locale; neither name
				// has a space (validated).
				const output = await tmux.run(['list-windows', '-a', '-F', '#{session_name} #{window_name}']);
				return output
					.split('\n')
					.map((line) => line.split(' '))
					.filter(([session, window]) => session?.startsWith('cao-') && window)
					.map(([session = '', window = '']) => ({ session, window }));
			} catch (error) {
				if (error instanceof TmuxError && error.kind === 'no-server') return [];
				throw error;
			}
		},

		async stop() {
			stopping = true;
			await Promise.all([...attached.values()].map((entry) => release(entry.ref)));
			const child = waiter;
			if (child) {
				const closed = new Promise((resolve) => child.once('close', resolve));
				await unlock(channel);
				await closed;
			}
			// The waiter took the lock when it woke: drop it, so the channel goes from the server.
			await unlock(channel);
			await tmux.run(['set-hook', '-gu', hook()]).catch(() => {});
		},
	};
};
