import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { oneLine, ValidationError } from '../../errors.js';
import { type FifoReader, makeFifo, openFifoReader } from '../fifo/fifo-reader.js';
import { commandSeparator, TmuxError, type TmuxRunner } from './tmux.js';
import { keyNamePattern, type TerminalBackend, type TerminalRef, type TerminalSink } from './types.js';

type Attached = { ref: TerminalRef; windowId: string; reader: FifoReader; sink: TerminalSink };

export type TmuxBackendOptions = {
	tmux: TmuxRunner;
	/** Folder for the per-terminal FIFOs. */
	fifoDir: string;
	/** Reports trouble that does not belong to one call (the watcher died, a read failed). */
	warn: (message: string) => void;
	/** Window size for new sessions; agents render to it while nobody is attached. */
	size?: { columns: number; rows: number };
};

/** `=name` asks tmux for an exact match rather than a prefix or pattern. */
export const tmuxTarget = (ref: Pick<TerminalRef, 'session' | 'window'>) => `=${ref.session}:=${ref.window}`;

/** pipe-pane takes a shell command (tmux runs it with sh -c, after format expansion). */
const pipeCommand = (fifo: string) => `exec cat >> '${fifo.replaceAll("'", `'\\''`).replaceAll('#', '##')}'`;

export const createTmuxBackend = (options: TmuxBackendOptions): TerminalBackend => {
	const { tmux, fifoDir, warn } = options;
	const size = options.size ?? { columns: 200, rows: 50 };
	const attached = new Map<string, Attached>();
	const controlSession = `_cao-ctl-${process.pid}`;
	let watcher: ReturnType<typeof spawn> | undefined;
	/** Settles when the watcher is attached; undefined when none runs. */
	let watching: Promise<void> | undefined;
	let stopping = false;

	const detach = (terminalId: string): Attached | undefined => {
		const entry = attached.get(terminalId);
		if (!entry) return undefined;
		attached.delete(terminalId);
		entry.reader.stop();
		return entry;
	};

	const windowClosed = (windowId: string, reason: string) => {
		for (const entry of attached.values()) {
			if (entry.windowId !== windowId) continue;
			detach(entry.ref.terminalId);
			entry.sink.exited(reason);
		}
	};

	/** After the watcher loses its server: which of our windows are still there? */
	const reconcile = async () => {
		let live: Set<string>;
		try {
			live = new Set((await tmux.run(['list-windows', '-a', '-F', '#{window_id}'])).split('\n'));
		} catch (error) {
			if (error instanceof TmuxError && error.kind === 'no-server') live = new Set();
			else throw error;
		}
		for (const entry of [...attached.values()]) {
			if (!live.has(entry.windowId)) windowClosed(entry.windowId, 'tmux server exited');
		}
		return live.size > 0;
	};

	/**
	 * One tmux control-mode client tells us when windows close (`%window-close @3`) and when the
	 * server goes away (`%exit`): events, not polling. It sits in a session of its own, so the
	 * agents' windows are never resized by it.
	 */
	const startWatcher = () =>
		new Promise<void>((resolve, reject) => {
			// The session goes when its client does, so even a `kill -9` of the engine leaves nothing
			// behind (the client exits when its stdin closes). The option names its session: left to
			// "the current session", tmux once set it on an agent's session and destroyed that.
			const child = spawn(
				tmux.binary,
				tmux.argv([
					'-C',
					'new-session',
					'-A',
					'-s',
					controlSession,
					'-x',
					'80',
					'-y',
					'24',
					';',
					'set-option',
					'-t',
					`=${controlSession}:`,
					'destroy-unattached',
					'on',
				]),
				// Its own process group: a Ctrl-C meant for the engine must not kill the watcher first.
				{ stdio: ['pipe', 'pipe', 'pipe'], detached: true },
			);
			watcher = child;
			let ready = false;
			const lines = createInterface({ input: child.stdout });
			lines.on('line', (line) => {
				// Control mode wraps each command's reply in %begin/%end; the first %end means attached.
				if (!ready && line.startsWith('%end')) {
					ready = true;
					resolve();
				}
				// "%window-close @12" (our session) or "%unlinked-window-close @12" (any other session).
				const closed = /^%(?:unlinked-)?window-close (@\d+)/.exec(line);
				if (closed?.[1]) windowClosed(closed[1], 'window closed');
			});
			child.on('error', (error: NodeJS.ErrnoException) => {
				reject(
					error.code === 'ENOENT'
						? new TmuxError('not-installed', 'tmux is not installed (not found on PATH)')
						: error,
				);
			});
			child.on('exit', () => {
				watcher = undefined;
				watching = undefined;
				if (!ready) {
					reject(new TmuxError('failed', 'tmux control client exited before attaching'));
					return;
				}
				if (stopping) return;
				reconcile()
					.then((serverAlive) => (serverAlive ? ensureWatcher() : undefined))
					.catch((error: unknown) => warn(`tmux watcher: ${oneLine(error)}`));
			});
		});

	const release = async (ref: TerminalRef) => {
		const entry = detach(ref.terminalId);
		// pipe-pane with no command closes the pane's pipe: the agent runs on, unread.
		if (entry) await tmux.run(['pipe-pane', '-t', entry.windowId]).catch(() => {});
	};

	const ensureWatcher = (): Promise<void> => {
		watching ??= startWatcher().catch((error: unknown) => {
			watching = undefined;
			throw error;
		});
		return watching;
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

	return {
		kind: 'tmux',
		description: tmux.socket ? `tmux -L ${tmux.socket}` : 'tmux (default server)',

		async start() {
			mkdirSync(fifoDir, { recursive: true, mode: 0o700 });
			stopping = false;
			await ensureWatcher();
		},

		async create(spec, sink) {
			await ensureWatcher();
			const fifo = join(fifoDir, `${spec.terminalId}.fifo`);
			await makeFifo(fifo);
			const reader = openFifoReader({
				path: fifo,
				onData: (text) => sink.output(text),
				onError: (error) => warn(`terminal ${spec.terminalId}: ${error.message}`),
			});
			const env = Object.entries(spec.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
			// One tmux invocation runs both commands before the server reads the new pane, so
			// pipe-pane is attached before the agent's first byte. `env` makes tmux exec the argv
			// directly even when it has a single word (tmux runs a lone word through sh -c).
			const open = async () => {
				const where = (await sessionExists(spec.session))
					? ['new-window', '-d', '-t', `=${spec.session}:`]
					: ['new-session', '-d', '-s', spec.session, '-x', String(size.columns), '-y', String(size.rows)];
				return tmux.run([
					...where,
					'-n',
					spec.window,
					'-c',
					spec.workingDirectory,
					...env,
					'-P',
					'-F',
					'#{window_id}',
					'env',
					'--',
					...spec.command,
					commandSeparator,
					'pipe-pane',
					'-t',
					tmuxTarget(spec),
					pipeCommand(fifo),
				]);
			};
			try {
				// Terminals created at once in one session must not both try to create the session.
				const output = await inSession(spec.session, open);
				const windowId = output.trim().split('\n')[0] ?? '';
				attached.set(spec.terminalId, { ref: spec, windowId, reader, sink });
			} catch (error) {
				reader.stop();
				// The window may exist if only pipe-pane failed.
				await tmux.run(['kill-window', '-t', tmuxTarget(spec)]).catch(() => {});
				throw error;
			}
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
		},

		async sendKeys(ref, keys) {
			for (const key of keys) {
				if (!keyNamePattern.test(key)) throw new ValidationError(`invalid key name '${key}'`);
			}
			await tmux.run(['send-keys', '-t', tmuxTarget(ref), ...keys]);
		},

		async capture(ref, captureOptions = {}) {
			// -J joins wrapped lines so a long reply line comes back whole.
			const history = captureOptions.history ? ['-S', '-'] : [];
			return tmux.run(['capture-pane', '-p', '-J', ...history, '-t', tmuxTarget(ref)]);
		},

		async destroy(ref) {
			const entry = detach(ref.terminalId);
			try {
				await tmux.run(['kill-window', '-t', entry ? entry.windowId : tmuxTarget(ref)]);
			} catch (error) {
				// Already gone is the state we wanted.
				if (!(error instanceof TmuxError && (error.kind === 'no-target' || error.kind === 'no-server'))) {
					throw error;
				}
			}
		},

		release,

		async listSessions() {
			try {
				const output = await tmux.run(['list-sessions', '-F', '#{session_name}']);
				return output.split('\n').filter((name) => name.startsWith('cao-'));
			} catch (error) {
				if (error instanceof TmuxError && error.kind === 'no-server') return [];
				throw error;
			}
		},

		async stop() {
			stopping = true;
			await Promise.all([...attached.values()].map((entry) => release(entry.ref)));
			const child = watcher;
			if (!child) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.stdin?.end();
			await exited;
		},
	};
};
