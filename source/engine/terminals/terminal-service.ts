import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { caoMcpServer } from '../../config.js';
import { CaoError, oneLine, TerminalNotFoundError, ValidationError } from '../../errors.js';
import { defaultProviders, type ProviderLookup } from '../../providers/registry.js';
import { lastNonBlank, normalizeStream } from '../../providers/text.js';
import type {
	AgentProfile,
	Detection,
	InitializeContext,
	LaunchFile,
	OutputSoFar,
} from '../../providers/types.js';
import type { StagedStep, TerminalBackend, TerminalRef, TerminalSink } from '../backends/types.js';
import { crashPoint } from '../crash-points.js';
import type { EventBus } from '../bus.js';
import { type TerminalEvents, terminalTopic } from '../events.js';
import { bufferLimit, type StatusMonitor } from '../status/status-monitor.js';
import type { TerminalStatus } from '../status/statuses.js';
import { ciMarkers } from '../../ci-markers.js';
import type { SessionEnvRepository } from '../store/session-env-repository.js';
import type { TerminalRecord, TerminalRepository } from '../store/terminal-repository.js';
import { createLaunchLinks, removeLaunchLinks, sweepLaunchLinks } from './launch-links.js';
import { lastReply } from './reply-store.js';
import { assertEnv, sanitizeInput, sessionName, terminalIdPattern } from './validation.js';

export type CreateTerminalOptions = {
	provider: string;
	/** A profile, or just its name. */
	profile?: AgentProfile | string | null;
	/** Joins this session (created if missing); default: a new session `cao-{id}`. */
	session?: string;
	workingDirectory?: string;
	env?: Record<string, string>;
	/** The terminal that asked for this one (a supervisor), for replies. */
	callerId?: string | null;
	/** Extra arguments for the agent CLI. */
	args?: readonly string[];
	/** Overrides the provider's time to reach idle. */
	initTimeoutMs?: number;
};

export type TerminalServiceOptions = {
	bus: EventBus;
	/** CAO_HOME, passed on to cao's MCP server. */
	home: string;
	/** Where per-terminal config folders go. */
	configRoot: string;
	backend: TerminalBackend;
	monitor: StatusMonitor;
	terminals: TerminalRepository;
	/** The engine's environment, which providers may forward settings from. */
	env: Readonly<Record<string, string | undefined>>;
	/** Each session's environment, for the terminals created in it later. */
	sessionEnv: SessionEnvRepository;
	/** The providers terminals may use (default: the built-in ones). */
	providers?: ProviderLookup;
	now?: () => number;
};

/** How long an agent asked to quit may take before its window is killed. */
const exitGraceMs = 5_000;

/** How long the monitor may take to publish the idle status `initialize()` has seen. */
const readyGraceMs = 5_000;

export class InitTimeoutError extends CaoError {
	override readonly name = 'InitTimeoutError';
}

const refOf = (record: TerminalRecord): TerminalRef => ({
	terminalId: record.id,
	session: record.session,
	window: record.window,
});

/** The files a provider asked for, in the terminal's own folder (0700), each 0600. */
const writeLaunchFiles = async (configDir: string, files: readonly LaunchFile[]) => {
	await mkdir(configDir, { recursive: true, mode: 0o700 });
	for (const file of files) {
		const path = resolve(configDir, file.path);
		if (!path.startsWith(`${configDir}/`))
			throw new CaoError(`launch file '${file.path}' is outside ${configDir}`);
		await mkdir(dirname(path), { recursive: true, mode: 0o700 });
		await writeFile(path, file.content, { mode: 0o600 });
	}
};

const directoryOf = (path: string): string => {
	const full = resolve(path);
	let isDirectory = false;
	try {
		isDirectory = statSync(full).isDirectory();
	} catch {
		// Reported below with the same message as a file.
	}
	if (!isDirectory)
		throw new ValidationError(`working directory '${full}' does not exist or is not a folder`);
	return full;
};

export const createTerminalService = (options: TerminalServiceOptions) => {
	const { bus, backend, monitor, terminals } = options;
	const now = options.now ?? Date.now;
	const getProvider = (options.providers ?? defaultProviders).get;

	const isLive = (id: string) => terminals.get(id)?.exitedAt === null;
	const warn = (message: string) => bus.emit('engine.warning', { message, at: now() });
	/** A terminal's links go with it; failing that, the next engine's sweep retries. */
	const unlinkLaunch = (id: string) =>
		removeLaunchLinks(join(options.configRoot, id)).catch((error: unknown) =>
			warn(`terminal ${id}: ${oneLine(error)}`),
		);

	const requireLive = (id: string): TerminalRecord => {
		const record = terminalIdPattern.test(id) ? terminals.get(id) : undefined;
		if (!record || record.exitedAt !== null) throw new TerminalNotFoundError(id);
		return record;
	};

	/** Terminals between window creation and ready: their windows, for stop() to take back. */
	const creating = new Map<string, TerminalRef>();
	/** Those of them whose agent has listed cao's MCP tools already. */
	const toolsListed = new Set<string>();
	let drained: (() => void) | undefined;
	const doneCreating = (id: string) => {
		creating.delete(id);
		toolsListed.delete(id);
		if (creating.size === 0) drained?.();
	};
	let stopping = false;

	const exited = (id: string, reason: string) => {
		// A terminal that dies while it starts is reported once, by create(), with the whole story.
		if (creating.has(id)) return;
		monitor.forget(id);
		terminals.markExited(id, now());
		void unlinkLaunch(id);
		bus.emit(terminalTopic(id, 'exited'), { terminalId: id, reason, at: now() });
	};

	/** Where a terminal's backend reports: its output and its exit, as events. */
	const sinkFor = (id: string): TerminalSink => ({
		output: (data, bytes) =>
			bus.emit(terminalTopic(id, 'output'), { terminalId: id, data, bytes, at: now() }),
		exited: (reason) => exited(id, reason),
		resumed: (screen) => {
			warn(`terminal ${id}: its output pipe had closed; it is read again, judged from its screen`);
			monitor.prime(id, screen);
		},
	});

	/**
	 * The first `kind` event of terminal `id` that `accept` makes a value of. At `timeoutMs` it
	 * settles as `timedOut` does (its value, or what it throws); an exit first rejects with `exitError`.
	 */
	const nextEvent = <K extends 'status' | 'tools', T>(
		id: string,
		kind: K,
		timeoutMs: number,
		handlers: {
			accept: (event: TerminalEvents[K]) => T | undefined;
			timedOut: () => T;
			exitError: (reason: string) => Error;
		},
	) =>
		new Promise<T>((resolvePromise, reject) => {
			const settle = (outcome: () => T) => {
				clearTimeout(timer);
				offEvent();
				offExit();
				try {
					resolvePromise(outcome());
				} catch (error) {
					reject(error);
				}
			};
			const timer = setTimeout(() => settle(handlers.timedOut), timeoutMs);
			// The payload is TerminalEvents[K]; the bus's types cannot follow a kind left generic.
			const topic = terminalTopic(id, kind) as `terminal.${string}.${'status' | 'tools'}`;
			const offEvent = bus.on(topic, (event) => {
				const value = handlers.accept(event as TerminalEvents[K]);
				if (value !== undefined) settle(() => value);
			});
			const offExit = bus.on(terminalTopic(id, 'exited'), ({ reason }) =>
				settle(() => {
					throw handlers.exitError(reason);
				}),
			);
		});

	/** Resolves when the terminal's status is one of `statuses`; rejects on timeout or exit. */
	const waitForStatus = async (
		id: string,
		statuses: readonly TerminalStatus[],
		timeoutMs: number,
	): Promise<Detection> => {
		const current = monitor.getStatus(id);
		if (current && statuses.includes(current.status)) return current;
		const wanted = statuses.join(' or ');
		return nextEvent<'status', Detection>(id, 'status', timeoutMs, {
			accept: (event) => (statuses.includes(event.status) ? event : undefined),
			timedOut: () => {
				throw new InitTimeoutError(
					`terminal ${id} did not reach ${wanted} within ${timeoutMs / 1000}s (status: ${monitor.getStatus(id)?.status ?? 'gone'})`,
				);
			},
			exitError: (reason) => new CaoError(`terminal ${id} exited (${reason}) before reaching ${wanted}`),
		});
	};

	/** Resolves once `test` accepts the terminal's output so far; see InitializeContext. */
	const waitForOutput = (id: string, test: (output: OutputSoFar) => boolean, timeoutMs: number) =>
		new Promise<OutputSoFar>((resolvePromise, reject) => {
			let fresh = '';
			const seen = (): OutputSoFar => ({ buffer: monitor.getBuffer(id) ?? '', fresh });
			if (test(seen())) return resolvePromise(seen());
			let settled = false;
			const cleanup = () => {
				settled = true;
				clearTimeout(timer);
				offOutput();
				offExit();
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(
					// Only initialize() waits on output, and what it waits for is the CLI getting ready.
					new InitTimeoutError(`terminal ${id} did not reach idle within ${timeoutMs / 1000}s`),
				);
			}, timeoutMs);
			const offOutput = bus.on(terminalTopic(id, 'output'), ({ data }) => {
				fresh = (fresh + data).slice(-bufferLimit);
				// Checked once every handler of this chunk has run: the monitor's buffer has it then.
				queueMicrotask(() => {
					if (settled || !test(seen())) return;
					cleanup();
					resolvePromise(seen());
				});
			});
			const offExit = bus.on(terminalTopic(id, 'exited'), (event) => {
				cleanup();
				reject(new CaoError(`terminal ${id} exited (${event.reason})`));
			});
		});

	/** See InitializeContext.waitForCaoTools. */
	const waitForCaoTools = async (id: string, timeoutMs: number): Promise<boolean> => {
		if (toolsListed.has(id)) return true;
		return nextEvent(id, 'tools', timeoutMs, {
			accept: () => true,
			timedOut: () => {
				warn(
					`terminal ${id}: its agent did not list cao's MCP tools within ${timeoutMs / 1000}s; handoff, assign and send_message may be missing from its tools`,
				);
				return false;
			},
			exitError: (reason) => new CaoError(`terminal ${id} exited (${reason})`),
		});
	};

	/** The last lines of a terminal's screen, for error messages; empty when it cannot be read. */
	const screenTail = async (ref: TerminalRef, count = 3): Promise<string> => {
		try {
			return lastNonBlank(normalizeStream(await backend.capture(ref)).lines, count)
				.map((line) => line.trim())
				.join(' ⏎ ');
		} catch {
			return '';
		}
	};

	const create = async (request: CreateTerminalOptions): Promise<TerminalRecord> => {
		const provider = getProvider(request.provider);
		const workingDirectory = directoryOf(request.workingDirectory ?? process.cwd());
		const ownEnv = assertEnv(request.env ?? {});
		const id = randomBytes(4).toString('hex');
		const session = sessionName(request.session ?? id);
		// The session's environment (given to the terminals before), this terminal's on top.
		const env = { ...options.sessionEnv.get(session), ...ownEnv };
		const agentProfile =
			typeof request.profile === 'string' ? { name: request.profile } : (request.profile ?? null);
		const profile = agentProfile?.name ?? null;
		const record: TerminalRecord = {
			id,
			session,
			window: `${(profile ?? provider.name).replace(/[^A-Za-z0-9_-]/g, '_')}-${id}`,
			provider: provider.name,
			profile,
			workingDirectory,
			callerId: request.callerId ?? null,
			createdAt: now(),
			lastActiveAt: now(),
			lastStatus: 'unknown',
			exitedAt: null,
		};
		const configDir = join(options.configRoot, id);
		const launch = provider.launchCommand({
			terminalId: id,
			profile: agentProfile,
			args: request.args ?? [],
			// What the CLI will see: the engine's environment and the terminal's own on top.
			env: { ...options.env, ...env },
			workingDirectory,
			configDir,
			caoMcp: caoMcpServer(id, options.home),
			asRoot: process.getuid?.() === 0,
		});
		const ref = refOf(record);
		terminals.insert(record);
		monitor.register(id, provider, profile);
		let created = false;
		creating.set(id, ref);
		try {
			await writeLaunchFiles(configDir, launch.files ?? []);
			await createLaunchLinks({
				configRoot: options.configRoot,
				configDir,
				files: launch.files ?? [],
				links: launch.links ?? [],
				isLive,
			});
			await backend.create(
				{
					...ref,
					command: launch.command,
					workingDirectory,
					env: { ...launch.env, ...env, CAO_TERMINAL_ID: id },
					unsetEnv: ciMarkers(options.env).filter((name) => !(name in env) && !(name in launch.env)),
				},
				sinkFor(id),
			);
			created = true;
			options.sessionEnv.merge(session, ownEnv);
			if (stopping) throw new CaoError('the engine is stopping');
			bus.emit(terminalTopic(id, 'created'), {
				terminalId: id,
				session: record.session,
				window: record.window,
				provider: provider.name,
				profile,
				workingDirectory,
				at: record.createdAt,
			});
			const context: InitializeContext = {
				timeoutMs: request.initTimeoutMs ?? provider.initTimeoutMs,
				waitForStatus: (statuses, timeoutMs) => waitForStatus(id, statuses, timeoutMs),
				waitForOutput: (test, timeoutMs) => waitForOutput(id, test, timeoutMs),
				capture: () => backend.capture(ref),
				sendKeys: (keys) => backend.sendKeys(ref, keys),
				paste: (text) => backend.paste(ref, text),
				waitForCaoTools: (timeoutMs) => waitForCaoTools(id, timeoutMs),
			};
			await provider.initialize(context);
			// initialize() judged the buffer as it stood; the monitor publishes that status once the
			// output has been quiet for its window. A terminal is handed over idle, as its events say.
			await waitForStatus(id, ['idle', 'completed'], readyGraceMs);
			doneCreating(id);
			return { ...record, lastStatus: monitor.getStatus(id)?.status ?? 'unknown' };
		} catch (error) {
			doneCreating(id);
			const tail = created ? await screenTail(ref) : '';
			await backend.destroy(ref).catch(() => {});
			monitor.forget(id);
			terminals.remove(id);
			await unlinkLaunch(id);
			await rm(configDir, { recursive: true, force: true });
			const reason = `${provider.name} terminal failed to start: ${oneLine(error)}${tail ? `; last screen lines: ${tail}` : ''}`;
			if (created) bus.emit(terminalTopic(id, 'exited'), { terminalId: id, reason, at: now() });
			throw error instanceof CaoError && !created ? error : new CaoError(reason);
		}
	};

	/** Sends the provider's exit command; true when the agent quit within `exitGraceMs`. */
	const exitAgent = async (record: TerminalRecord): Promise<boolean> => {
		const quit = new Promise<boolean>((resolveQuit) => {
			const timer = setTimeout(() => {
				off();
				resolveQuit(false);
			}, exitGraceMs);
			const off = bus.on(terminalTopic(record.id, 'exited'), () => {
				clearTimeout(timer);
				off();
				resolveQuit(true);
			});
		});
		const { exit } = getProvider(record.provider).input;
		try {
			if ('text' in exit) await sendInput(record.id, exit.text);
			else await backend.sendKeys(refOf(record), exit.keys);
		} catch {
			return false;
		}
		return quit;
	};

	/** Opens the latch and starts a fresh buffer before the echo of the input can arrive. */
	const announceInput = (id: string) => {
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		bus.emit(terminalTopic(id, 'input'), { terminalId: id, kind: 'text', at: now() });
	};

	const submitKeys = (record: TerminalRecord) =>
		Array.from({ length: getProvider(record.provider).input.enterCount }, () => 'Enter');

	/** The provider's pause between a paste and the Enter that submits it. */
	const afterPaste = async (record: TerminalRecord) => {
		const { submitDelayMs } = getProvider(record.provider).input;
		if (submitDelayMs > 0) await delay(submitDelayMs);
	};

	const sendInput = async (id: string, text: string): Promise<void> => {
		const record = requireLive(id);
		const clean = sanitizeInput(text);
		announceInput(id);
		// Empty input is just Enter, as at a keyboard.
		if (clean) {
			await backend.paste(refOf(record), clean);
			await afterPaste(record);
		}
		await backend.sendKeys(refOf(record), submitKeys(record));
		terminals.touch(id, now());
	};

	/**
	 * Input in resumable steps, for the inbox: `stageInput`, then `submitStaged` from the step
	 * `stagedInputs` says it reached (after a restart) or from `staged`.
	 */
	const staging = {
		async stageInput(id: string, text: string): Promise<void> {
			const record = requireLive(id);
			const clean = sanitizeInput(text);
			if (!clean) throw new ValidationError('the input is empty');
			await backend.stage(refOf(record), clean);
		},
		async submitStaged(id: string, from: StagedStep = 'staged'): Promise<void> {
			const record = requireLive(id);
			announceInput(id);
			if (from === 'staged') {
				await backend.pasteStaged(refOf(record));
				crashPoint('input.pasted');
				await afterPaste(record);
			}
			await backend.submitStaged(refOf(record), submitKeys(record));
			terminals.touch(id, now());
		},
		stagedInputs: (): Promise<Map<string, StagedStep>> => backend.staged(),
		async dropStaged(id: string): Promise<void> {
			const record = terminals.get(id);
			if (record) await backend.dropStaged(refOf(record));
		},
	};

	return {
		create,
		waitForStatus,
		sendInput,
		...staging,
		/** Keys such as `y` or `Escape` answer or interrupt the agent: like input, they open the latch. */
		async sendKeys(id: string, keys: readonly string[]) {
			const record = requireLive(id);
			monitor.notifyInputSent(id);
			bus.emit(terminalTopic(id, 'input'), { terminalId: id, kind: 'keys', at: now() });
			await backend.sendKeys(refOf(record), keys);
			terminals.touch(id, now());
		},
		/** The whole scrollback, or the agent's last reply as its provider extracts it. */
		async getOutput(id: string, mode: 'full' | 'last' = 'full'): Promise<string> {
			const record = requireLive(id);
			const screen = await backend.capture(refOf(record), { history: true });
			if (mode === 'full') return screen;
			return lastReply(getProvider(record.provider), screen, join(options.configRoot, id));
		},
		/** Reported by the terminal's cao MCP server when its agent asks for the tools. */
		toolsListed(id: string): void {
			requireLive(id);
			if (creating.has(id)) toolsListed.add(id);
			bus.emit(terminalTopic(id, 'tools'), { terminalId: id, at: now() });
		},
		/** Created but not ready yet: its screen belongs to initialize(), not to input or messages. */
		isStarting: (id: string): boolean => creating.has(id),
		/** A live terminal's status; undefined for one that is gone or never was. */
		statusOf(id: string): TerminalStatus | undefined {
			return isLive(id) ? (monitor.getStatus(id)?.status ?? terminals.get(id)?.lastStatus) : undefined;
		},
		get(id: string): TerminalRecord {
			const record = requireLive(id);
			return { ...record, lastStatus: monitor.getStatus(id)?.status ?? record.lastStatus };
		},
		list(): TerminalRecord[] {
			return terminals.listLive().map((record) => ({
				...record,
				lastStatus: monitor.getStatus(record.id)?.status ?? record.lastStatus,
			}));
		},
		/**
		 * Deletes the terminal: its window, row and folder. With `exit`, the agent is first asked to
		 * quit the way its CLI wants (`/exit`…) and given a few seconds to save its state.
		 */
		async remove(id: string, { exit = false } = {}): Promise<void> {
			const record = requireLive(id);
			const quit = exit ? await exitAgent(record) : false;
			await backend.destroy(refOf(record));
			monitor.forget(id);
			terminals.remove(id);
			await unlinkLaunch(id);
			await rm(join(options.configRoot, id), { recursive: true, force: true });
			// A quit was reported as the exit already.
			if (!quit) bus.emit(terminalTopic(id, 'exited'), { terminalId: id, reason: 'deleted', at: now() });
		},
		/** At engine start: takes back the links of terminals that ended while no engine ran. */
		async sweepLinks(): Promise<void> {
			// Leftovers are no reason not to start: reported, and tried again next time.
			const failures = await sweepLaunchLinks(options.configRoot, isLive).catch((error: unknown) => [
				oneLine(error),
			]);
			for (const failure of failures) warn(`launch links: ${failure}`);
		},
		/**
		 * Stops reading every terminal; they keep running. Terminals still starting are taken back
		 * (their windows killed, their rows removed): they never became ready.
		 */
		/**
		 * Takes over the live terminals of the store (a previous engine's, still running in tmux):
		 * reads them again and judges each from its screen. Those whose window is gone are marked
		 * exited. Resolves with how many were adopted.
		 */
		async adoptAll(): Promise<number> {
			let adopted = 0;
			for (const record of terminals.listLive()) {
				const ref = refOf(record);
				monitor.register(record.id, getProvider(record.provider), record.profile);
				const found = await backend.adopt(ref, sinkFor(record.id)).catch((error: unknown) => {
					warn(`terminal ${record.id}: ${oneLine(error)}`);
					return false;
				});
				if (!found) {
					exited(record.id, 'its window went away while no engine ran');
					continue;
				}
				adopted += 1;
				monitor.prime(record.id, await backend.capture(ref).catch(() => ''));
			}
			return adopted;
		},
		async releaseAll(): Promise<void> {
			stopping = true;
			const starting = [...creating.values()];
			await Promise.all(starting.map((ref) => backend.destroy(ref).catch(() => {})));
			if (creating.size > 0) {
				await new Promise<void>((resolveDrained) => {
					drained = resolveDrained;
				});
			}
			await backend.stop();
		},
	};
};

export type TerminalService = ReturnType<typeof createTerminalService>;
