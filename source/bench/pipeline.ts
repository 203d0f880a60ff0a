import childProcess from 'node:child_process';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BackendKind, onPath, resolvePaths } from '../config.js';
import { createEventBus, type EventBus } from '../engine/bus.js';
import { createEngine } from '../engine/engine.js';
import { terminalTopic } from '../engine/events.js';
import { type FifoReader, makeFifo, openFifoReader } from '../engine/fifo/fifo-reader.js';
import { createLogWriter, type LogWriter } from '../engine/logs/log-writer.js';
import { createStatusMonitor, quietWindowMs, type StatusMonitor } from '../engine/status/status-monitor.js';
import { readyStatuses, type TerminalStatus } from '../engine/status/statuses.js';
import { fakeProvider } from '../providers/fake.js';
import type { Provider } from '../providers/types.js';
import {
	banner,
	epochNow,
	type FifoTarget,
	type TurnPlan,
	turnLengthMs,
	type WriterCommand,
	type WriterMessage,
	type WriterReport,
} from './protocol.js';

/**
 * `npm run bench:pipeline`: the engine's output pipeline in this process (FIFO readers → bus →
 * status monitor and log writer) fed by one writer child that plays fake-agent turns into N FIFOs,
 * as tmux's pipe-pane (`cat >> fifo`) would. Measures throughput, the engine's CPU, the latency
 * from the decisive prompt write to the `completed` status event, and lost status changes.
 */

const writerScript = fileURLToPath(new URL('./writer.js', import.meta.url));

const usage = `Usage: npm run bench -- [options]   (npm run bench:pipeline: --backend fifo)
  --backend tmux,pty,cat  what to measure: tmux and pty (the whole engine, each terminal running
                   cat on an input FIFO the writer plays into), cat (the floor: cat reading the
                   FIFOs), fifo (the pipeline alone, no terminals); default tmux,pty,cat
  --n 1,50,200,500 terminal counts to measure
  --idle 200       idle scenario on tmux and pty: this many quiet terminals (0: none)
  --idle-seconds 60  how long the idle scenario watches
  --rate 20480     average bytes per second per terminal over a whole turn
  --seconds 20     measured time per run; the last turns then finish
  --runs 3         runs per N; figures are their medians
  --echo-gap-ms 50 echo of the input to Enter (default: the fake provider's submit delay)
  --quick          N=1,50, 3 s, 1 run, idle 50 terminals for 3 s
  --json           one JSON object on stdout (the table goes to stderr)`;

type Options = {
	backends: BenchBackend[];
	counts: number[];
	idle: number;
	idleSeconds: number;
	/** Internal: the run asked for with `one` is the idle scenario. */
	idleRun: boolean;
	rate: number;
	seconds: number;
	runs: number;
	echoGapMs: number;
	json: boolean;
	/** Internal: measure one run of this backend and N in this process and print its result as JSON. */
	one: { backend: BenchBackend; count: number } | undefined;
};

// Pacing of a turn besides the rate: the fake agent's spinner, a reply streamed for a second.
const spinnerMs = 1000;
const frameMs = 100;
const replyMs = 1000;
const chunkMs = 20;
const quietMs = 1000;
// A turn whose prompt was written this long ago without a ready status is given up.
const settleTimeoutMs = 5000;
const idleTimeoutMs = 15_000;
const rssSampleMs = 500;

const targets = {
	n: 200,
	cpuPercent: 25,
	p99AfterQuietMs: 250,
	dropped: 0,
	rssMB: 250,
	floorRatio: 5,
} as const;

const positiveInteger = (
	name: string,
	text: string | undefined,
	fallback: number,
	zeroOk = false,
): number => {
	if (text === undefined) return fallback;
	const value = Number(text);
	if (!Number.isInteger(value) || value < (zeroOk ? 0 : 1)) {
		throw new Error(`--${name} must be a ${zeroOk ? 'non-negative' : 'positive'} integer, not "${text}"`);
	}
	return value;
};

const backendOf = (text: string): BenchBackend => {
	const backend = benchBackends.find((name) => name === text);
	if (!backend) throw new Error(`--backend takes ${benchBackends.join(', ')}, not "${text}"`);
	return backend;
};

/** `--one tmux:50` */
const parseOne = (text: string): Options['one'] => {
	const [backend = '', count] = text.split(':');
	return { backend: backendOf(backend), count: positiveInteger('one', count, 1) };
};

const parseOptions = (argv: string[]): Options | undefined => {
	const { values } = parseArgs({
		args: argv,
		options: {
			backend: { type: 'string' },
			n: { type: 'string' },
			idle: { type: 'string' },
			'idle-seconds': { type: 'string' },
			'idle-run': { type: 'boolean', default: false },
			rate: { type: 'string' },
			seconds: { type: 'string' },
			runs: { type: 'string' },
			'echo-gap-ms': { type: 'string' },
			quick: { type: 'boolean', default: false },
			json: { type: 'boolean', default: false },
			one: { type: 'string' },
			help: { type: 'boolean', short: 'h', default: false },
		},
		strict: true,
	});
	if (values.help) return undefined;
	const quick = values.quick;
	const backends = (values.backend ?? (onPath('tmux') ? 'tmux,pty,cat' : 'pty,cat'))
		.split(',')
		.map((part) => backendOf(part.trim()));
	const counts = (values.n ?? (quick ? '1,50' : '1,50,200,500'))
		.split(',')
		.map((part) => positiveInteger('n', part.trim(), 0));
	return {
		counts,
		rate: positiveInteger('rate', values.rate, 20_480),
		seconds: positiveInteger('seconds', values.seconds, quick ? 3 : 20),
		runs: positiveInteger('runs', values.runs, quick ? 1 : 3),
		echoGapMs: positiveInteger('echo-gap-ms', values['echo-gap-ms'], fakeProvider.input.submitDelayMs, true),
		json: values.json,
		backends,
		idle: positiveInteger('idle', values.idle, quick ? 50 : 200, true),
		idleSeconds: positiveInteger('idle-seconds', values['idle-seconds'], quick ? 3 : 60),
		idleRun: values['idle-run'],
		one: values.one === undefined ? undefined : parseOne(values.one),
	};
};

/** What one run measured; null where there was nothing to measure. */
type RunResult = {
	wallSeconds: number;
	throughputMBps: number;
	/** Events through the engine's bus (output, status, input…) per second; null for the floor. */
	eventsPerSecond: number | null;
	cpuPercent: number;
	/** The kernel's share: pipe reads and the log files' open/write/close. */
	cpuSystemPercent: number | null;
	cpuSecondsPerMB: number | null;
	p50Ms: number | null;
	p99Ms: number | null;
	p50AfterQuietMs: number | null;
	p99AfterQuietMs: number | null;
	/** Prompt to the first ready status whatever it was: the timing even when the status is wrong. */
	readyP50Ms: number | null;
	readyP99Ms: number | null;
	turns: number;
	latencySamples: number;
	dropped: number | null;
	droppedProcessing: number | null;
	droppedCompleted: number | null;
	extra: number | null;
	bytesWritten: number;
	bytesRead: number;
	writerDroppedBytes: number;
	peakRssMB: number | null;
	writerCpuPercent: number;
	writerLagP99Ms: number;
	writerStalls: number;
	loopDelayP99Ms: number | null;
	/** Status events of the measured window by status, and the rules that decided them. */
	statuses: Record<string, number>;
	rules: Record<string, number>;
	warnings: number;
	/** Engine CPU over the `cat` floor's at the same N (set when both ran). */
	floorRatio: number | null;
};

type Lane = {
	id: string;
	path: string;
	idle: boolean;
	turn: number;
	decisiveAt: number | undefined;
	/** The prompt was never written: the turn cannot complete. */
	lost: boolean;
	completedAt: number | undefined;
	readyAt: number | undefined;
	processing: number;
	completed: number;
	other: number;
	settled: boolean;
	done: boolean;
	timer: NodeJS.Timeout | undefined;
};

const percentile = (sorted: readonly number[], fraction: number): number | null => {
	if (sorted.length === 0) return null;
	const rank = Math.max(1, Math.ceil(sorted.length * fraction));
	return sorted[rank - 1] as number;
};

const median = (values: readonly (number | null)[]): number | null => {
	const known = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
	if (known.length === 0) return null;
	const middle = known.length >> 1;
	return known.length % 2 === 1
		? (known[middle] as number)
		: ((known[middle - 1] as number) + (known[middle] as number)) / 2;
};

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

/** Runs `task` over `items` with at most `limit` at once. */
const eachLimited = async <T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) => {
	let next = 0;
	const worker = async () => {
		while (next < items.length) await task(items[next++] as T);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

type Writer = {
	send(command: WriterCommand): void;
	opened: Promise<void>;
	report(): Promise<WriterReport>;
	/** Asks the child to exit and waits; kills it if it does not. */
	close(): Promise<void>;
};

const startWriter = (
	onDecisive: (id: string, turn: number, at: number | null) => void,
	fail: (error: Error) => void,
): Writer => {
	const child: ChildProcess = spawn(process.execPath, [writerScript], {
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	let closing = false;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	let onOpened: (() => void) | undefined;
	const opened = new Promise<void>((resolve) => {
		onOpened = resolve;
	});
	const reports: ((report: WriterReport) => void)[] = [];

	child.on('message', (raw) => {
		const message = raw as WriterMessage;
		switch (message.type) {
			case 'opened':
				onOpened?.();
				return;
			case 'decisive':
				onDecisive(message.id, message.turn, message.decisiveAt);
				return;
			case 'report':
				reports.shift()?.(message.report);
				return;
			case 'failed':
				fail(new Error(`writer: ${message.message}`));
		}
	});
	child.on('error', (error) => fail(error));
	child.on('exit', (code, signal) => {
		if (!closing) fail(new Error(`writer exited early (${signal ?? `code ${code}`})`));
	});

	const send = (command: WriterCommand) => {
		if (child.connected) child.send(command);
	};

	return {
		send,
		opened,
		report: () =>
			new Promise<WriterReport>((resolve) => {
				reports.push(resolve);
				send({ type: 'report' });
			}),
		async close() {
			closing = true;
			if (child.exitCode !== null || child.signalCode !== null) return;
			send({ type: 'exit' });
			try {
				await withTimeout(exited, 3000, 'waiting for the writer to exit');
			} catch {
				child.kill('SIGKILL');
				await exited;
			}
		},
	};
};

/**
 * Where a run's terminals are read: `cat`, the physical floor (one `cat` per FIFO, reading into
 * /dev/null, the same writer and turns); `fifo`, the pipeline alone (the writer writes into the FIFOs
 * the engine's readers read, as pipe-pane would); `tmux` and `pty`, the whole engine with real
 * terminals, each running `cat` on an input FIFO the writer plays into.
 */
export const benchBackends = ['fifo', 'tmux', 'pty', 'cat'] as const;
export type BenchBackend = (typeof benchBackends)[number];

/** What a run reads its terminals through. */
type Source = {
	bus: EventBus;
	monitor: StatusMonitor;
	/** Each terminal's id and where the writer writes its bytes. */
	targets: FifoTarget[];
	/** Whether the terminals are idle already (the engine hands them over idle). */
	startsIdle: boolean;
	bytesRead(): number;
	close(): Promise<void>;
};

const fifoSource = async (home: string, count: number, warn: (message: string) => void): Promise<Source> => {
	const fifoDir = join(home, 'fifos');
	await mkdir(fifoDir, { mode: 0o700 });
	const bus: EventBus = createEventBus((error, topic) =>
		warn(`handler for ${topic} failed: ${String(error)}`),
	);
	const monitor: StatusMonitor = createStatusMonitor({ bus });
	const logWriter: LogWriter = createLogWriter({ bus, directory: join(home, 'logs'), warn });
	const targets = Array.from({ length: count }, (_, index) => {
		const id = `t${String(index + 1).padStart(4, '0')}`;
		return { id, path: join(fifoDir, `${id}.fifo`) };
	});
	await eachLimited(targets, 16, (target) => makeFifo(target.path));
	monitor.start();
	logWriter.start();
	const readers: FifoReader[] = targets.map(({ id, path }) => {
		monitor.register(id, fakeProvider);
		const topic = terminalTopic(id, 'output');
		return openFifoReader({
			path,
			onData: (data, bytes) => bus.emit(topic, { terminalId: id, data, bytes, at: Date.now() }),
			onError: (error) => warn(`terminal ${id}: ${error.message}`),
		});
	});
	return {
		bus,
		monitor,
		targets,
		startsIdle: false,
		bytesRead: () => readers.reduce((sum, reader) => sum + reader.bytes, 0),
		async close() {
			for (const reader of readers) reader.stop();
			monitor.stop();
			await logWriter.stop().catch(() => {});
		},
	};
};

/**
 * The bench's agent: the fake agent's screens, played by `cat` (its banner from a file, then
 * whatever the writer writes into the terminal's input FIFO); a few hundred of them cost little.
 */
const benchPeer = (bannerFile: string): Provider => ({
	...fakeProvider,
	name: 'bench',
	launchCommand: ({ args }) => ({ command: ['cat', bannerFile, ...args], env: {} }),
	async initialize(context) {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
});

const engineSource = async (
	home: string,
	count: number,
	backend: BackendKind,
	warn: (message: string) => void,
): Promise<Source> => {
	const inputs = join(home, 'inputs');
	await mkdir(inputs, { mode: 0o700 });
	const bannerFile = join(home, 'banner');
	await writeFile(bannerFile, banner);
	const tmuxSocket = `cao-bench-${process.pid}`;
	const engine = createEngine({
		paths: resolvePaths({ CAO_HOME: home }),
		tmuxSocket,
		backend,
		env: process.env,
		extraProviders: [benchPeer(bannerFile)],
		fallbackWarn: warn,
	});
	engine.bus.on('engine.warning', ({ message }) => warn(message));
	let bytes = 0;
	engine.bus.on('terminal.*.output', ({ data }) => {
		bytes += Buffer.byteLength(data);
	});
	await engine.start();
	const targets: FifoTarget[] = [];
	const close = async () => {
		await engine.stop();
		// tmux terminals outlive their engine: the bench's server goes with the run.
		if (backend === 'tmux')
			await new Promise<void>((resolve) =>
				execFile('tmux', ['-L', tmuxSocket, 'kill-server'], () => resolve()),
			);
	};
	try {
		await eachLimited(
			Array.from({ length: count }, (_, index) => index),
			8,
			async (index) => {
				const path = join(inputs, `in-${index}`);
				await makeFifo(path);
				const record = await engine.terminals.create({ provider: 'bench', args: [path], session: 'bench' });
				targets.push({ id: record.id, path });
			},
		);
	} catch (error) {
		await close();
		throw error;
	}
	return {
		bus: engine.bus,
		monitor: engine.monitor,
		targets,
		startsIdle: true,
		bytesRead: () => bytes,
		close,
	};
};

/** CPU seconds a process has run, from /proc (Linux; nanoseconds, where /proc/PID/stat has 10 ms ticks). */
const processCpuSeconds = async (pid: number): Promise<number> => {
	// "1042394 20838 58": time on a CPU (ns), time waiting to run (ns), timeslices.
	const schedstat = await readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => '0');
	return Number(schedstat.split(' ')[0] ?? 0) / 1e9;
};

const turnPlanOf = (options: Options): TurnPlan => ({
	rate: options.rate,
	echoGapMs: options.echoGapMs,
	spinnerMs,
	frameMs,
	replyMs,
	chunkMs,
	quietMs,
});

/** A run's end by failure: anything (the writer gone, an interrupt) rejects `failed`. */
const runFailure = (signal: AbortSignal) => {
	let fail: (error: Error) => void = () => {};
	const failed = new Promise<never>((_resolve, reject) => {
		fail = reject;
	});
	failed.catch(() => {});
	const onAbort = () => fail(new Error('interrupted'));
	signal.addEventListener('abort', onAbort);
	return { failed, fail, dispose: () => signal.removeEventListener('abort', onAbort) };
};

/** This process's peak RSS, sampled from now until `stop`. */
const peakRssSampler = () => {
	let peak = process.memoryUsage().rss;
	const sample = () => {
		peak = Math.max(peak, process.memoryUsage().rss);
	};
	const timer = setInterval(sample, rssSampleMs);
	return {
		peakMB: () => {
			sample();
			return peak / 1024 / 1024;
		},
		stop: () => clearInterval(timer),
	};
};

/**
 * The floor: the same writer and turns into N FIFOs, each read by `cat` into /dev/null. What the
 * kernel and a process that only reads cost for these bytes; the engine's CPU is put against it.
 */
const runFloor = async (count: number, options: Options, signal: AbortSignal): Promise<RunResult> => {
	const home = await mkdtemp(join(tmpdir(), 'cb-'));
	const plan = turnPlanOf(options);
	const targets = Array.from({ length: count }, (_, index) => ({
		id: `c${index}`,
		path: join(home, `c${index}.fifo`),
	}));
	const cats: ChildProcess[] = [];
	let writer: Writer | undefined;
	const turns = new Map(targets.map(({ id }) => [id, 0]));
	const timers = new Set<NodeJS.Timeout>();
	let stopping = false;
	const { failed, fail: failRun, dispose: stopWatching } = runFailure(signal);
	const later = (ms: number, task: () => void) => {
		const timer = setTimeout(() => {
			timers.delete(timer);
			task();
		}, ms);
		timers.add(timer);
	};
	const startTurn = (id: string) => {
		if (stopping) return;
		const turn = (turns.get(id) ?? 0) + 1;
		turns.set(id, turn);
		writer?.send({ type: 'turn', id, turn });
	};
	try {
		for (const target of targets) {
			await makeFifo(target.path);
			cats.push(spawn('cat', [target.path], { stdio: ['ignore', 'ignore', 'inherit'] }));
		}
		// The next turn after the prompt and a quiet spell, as in the engine runs.
		writer = startWriter(
			(id) => later(quietMs * (0.8 + Math.random() * 0.4), () => startTurn(id)),
			(error) => failRun(error),
		);
		writer.send({ type: 'open', fifos: targets, plan });
		await Promise.race([
			withTimeout(writer.opened, 10_000, 'waiting for the writer to open the FIFOs'),
			failed,
		]);
		writer.send({ type: 'mark' });
		const cpuBefore = await Promise.all(cats.map((cat) => processCpuSeconds(cat.pid ?? 0)));
		const start = epochNow();
		for (const { id } of targets) later(Math.random() * turnLengthMs(plan), () => startTurn(id));
		await Promise.race([new Promise((resolve) => setTimeout(resolve, options.seconds * 1000)), failed]);
		const cpuAfter = await Promise.all(cats.map((cat) => processCpuSeconds(cat.pid ?? 0)));
		const wallSeconds = (epochNow() - start) / 1000;
		const report = await Promise.race([
			withTimeout(writer.report(), 5000, 'waiting for the writer report'),
			failed,
		]);
		const cpuSeconds = cpuAfter.reduce((sum, value, index) => sum + value - (cpuBefore[index] ?? 0), 0);
		return {
			...emptyResult,
			wallSeconds,
			throughputMBps: report.written / 1e6 / wallSeconds,
			cpuPercent: (cpuSeconds / wallSeconds) * 100,
			cpuSecondsPerMB: report.written > 0 ? cpuSeconds / (report.written / 1e6) : null,
			bytesWritten: report.written,
			bytesRead: report.written,
			writerDroppedBytes: report.dropped + report.backlog,
			writerCpuPercent: (report.cpuMs / report.wallMs) * 100,
			writerLagP99Ms: report.lagP99Ms,
			writerStalls: report.stalls,
		};
	} finally {
		stopping = true;
		stopWatching();
		for (const timer of timers) clearTimeout(timer);
		await writer?.close().catch(() => {});
		for (const cat of cats) cat.kill();
		await rm(home, { recursive: true, force: true }).catch(() => {});
	}
};

/** Context switches of every thread of this process: each is a wake-up after a sleep, or a preemption. */
const contextSwitches = async (): Promise<number> => {
	const tasks = await readdir('/proc/self/task').catch(() => [] as string[]);
	let total = 0;
	for (const task of tasks) {
		const status = await readFile(`/proc/self/task/${task}/status`, 'utf8').catch(() => '');
		for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm))
			total += Number(match[1]);
	}
	return total;
};

/**
 * Counts the subprocesses this process starts from now on, whoever starts them: the
 * child_process functions are wrapped, and ES modules that imported them see the wrappers.
 */
const countSubprocesses = (): (() => number) => {
	let count = 0;
	const functions = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
	for (const name of ['spawn', 'execFile', 'exec', 'fork', 'spawnSync', 'execFileSync', 'execSync']) {
		const original = functions[name];
		if (!original) continue;
		functions[name] = function (this: unknown, ...args: unknown[]) {
			count++;
			return original.apply(this, args);
		};
	}
	syncBuiltinESMExports();
	return () => count;
};

type IdleResult = {
	seconds: number;
	cpuPercent: number;
	wakeupsPerSecond: number;
	subprocesses: number;
	peakRssMB: number;
};

/** N idle terminals on the whole engine, left alone: what the engine costs when nothing happens. */
const runIdle = async (
	backend: BackendKind,
	count: number,
	seconds: number,
	signal: AbortSignal,
): Promise<IdleResult> => {
	const home = await mkdtemp(join(tmpdir(), 'cb-'));
	const subprocesses = countSubprocesses();
	const source = await engineSource(home, count, backend, (message) =>
		process.stderr.write(`warning: ${message}\n`),
	);
	const wait = (ms: number) =>
		new Promise<void>((resolve, reject) => {
			const timer = setTimeout(resolve, ms);
			signal.addEventListener('abort', () => {
				clearTimeout(timer);
				reject(new Error('interrupted'));
			});
		});
	try {
		// The last idle statuses and log flushes of the start settle first.
		await wait(2000);
		const before = { cpu: process.cpuUsage(), switches: await contextSwitches(), spawned: subprocesses() };
		const start = epochNow();
		const rss = peakRssSampler();
		await wait(seconds * 1000).finally(() => rss.stop());
		const wall = (epochNow() - start) / 1000;
		const cpu = process.cpuUsage(before.cpu);
		// Reading /proc itself wakes nothing up: it runs in this thread, already awake.
		const switches = (await contextSwitches()) - before.switches;
		return {
			seconds: wall,
			cpuPercent: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
			wakeupsPerSecond: switches / wall,
			subprocesses: subprocesses() - before.spawned,
			peakRssMB: rss.peakMB(),
		};
	} finally {
		await source.close();
		await rm(home, { recursive: true, force: true }).catch(() => {});
	}
};

/**
 * With CAO_BENCH_PROFILE=DIR, a CPU profile of the measured window only (not the set-up), written
 * to DIR/BACKEND-N.cpuprofile for Chrome's DevTools.
 */
const startProfile = async () => {
	const folder = process.env.CAO_BENCH_PROFILE;
	if (!folder) return undefined;
	const session = new Session();
	session.connect();
	const post = (method: string) =>
		new Promise<unknown>((resolve, reject) =>
			session.post(method, (error, result) => (error ? reject(error) : resolve(result))),
		);
	await post('Profiler.enable');
	await post('Profiler.start');
	return {
		async stop(name: string) {
			const { profile } = (await post('Profiler.stop')) as { profile: unknown };
			await mkdir(folder, { recursive: true });
			await writeFile(join(folder, `${name}.cpuprofile`), JSON.stringify(profile));
			session.disconnect();
		},
	};
};

/** A run that measured no status: only the figures it sets. */
const emptyResult: RunResult = {
	wallSeconds: 0,
	throughputMBps: 0,
	eventsPerSecond: null,
	cpuPercent: 0,
	cpuSystemPercent: null,
	cpuSecondsPerMB: null,
	p50Ms: null,
	p99Ms: null,
	p50AfterQuietMs: null,
	p99AfterQuietMs: null,
	readyP50Ms: null,
	readyP99Ms: null,
	turns: 0,
	latencySamples: 0,
	dropped: null,
	droppedProcessing: null,
	droppedCompleted: null,
	extra: null,
	bytesWritten: 0,
	bytesRead: 0,
	writerDroppedBytes: 0,
	peakRssMB: null,
	writerCpuPercent: 0,
	writerLagP99Ms: 0,
	writerStalls: 0,
	loopDelayP99Ms: null,
	statuses: {},
	rules: {},
	warnings: 0,
	floorRatio: null,
};

const runOnce = async (
	backend: BenchBackend,
	count: number,
	options: Options,
	signal: AbortSignal,
): Promise<RunResult> => {
	if (backend === 'cat') return runFloor(count, options, signal);
	// Short: a Unix socket's path has room for about 100 bytes.
	const home = await mkdtemp(join(tmpdir(), 'cb-'));
	const plan = turnPlanOf(options);
	const nominalTurnMs = turnLengthMs(plan);
	let warnings = 0;
	const warn = (message: string) => {
		warnings++;
		if (warnings <= 5) process.stderr.write(`warning: ${message}\n`);
	};
	const source =
		backend === 'fifo' ? await fifoSource(home, count, warn) : await engineSource(home, count, backend, warn);
	const { bus, monitor } = source;

	const lanes: Lane[] = source.targets.map(({ id, path }) => {
		return {
			id,
			path,
			idle: false,
			turn: 0,
			decisiveAt: undefined,
			lost: false,
			completedAt: undefined,
			readyAt: undefined,
			processing: 0,
			completed: 0,
			other: 0,
			settled: true,
			done: false,
			timer: undefined,
		};
	});
	const laneById = new Map(lanes.map((lane) => [lane.id, lane]));

	// A failure anywhere (writer gone, abort) ends the run through this promise.
	const { failed, fail: failRun, dispose: stopWatching } = runFailure(signal);

	let measuring = false;
	let measureEnd = 0;
	// Every event the engine publishes goes through here; counting costs one call.
	let events = 0;
	const publish = bus.emit.bind(bus);
	bus.emit = (topic, payload) => {
		if (measuring) events++;
		publish(topic, payload);
	};
	const latencies: number[] = [];
	const readyLatencies: number[] = [];
	const statuses: Record<string, number> = {};
	const rules: Record<string, number> = {};
	let turns = 0;
	let droppedProcessing = 0;
	let droppedCompleted = 0;
	let extra = 0;
	let writer: Writer | undefined;
	const rss = peakRssSampler();
	const loopDelay = monitorEventLoopDelay({ resolution: 10 });
	let lanesLeft = count;
	let onAllDone: () => void = () => {};
	const allDone = new Promise<void>((resolve) => {
		onAllDone = resolve;
	});
	let idleLeft = count;
	let onAllIdle: () => void = () => {};
	const allIdle = new Promise<void>((resolve) => {
		onAllIdle = resolve;
	});

	/** Folds the finished turn's status changes into the run's tallies. */
	const closeTurn = (lane: Lane) => {
		if (lane.turn === 0) return;
		turns++;
		if (lane.processing === 0) droppedProcessing++;
		if (lane.completed === 0) droppedCompleted++;
		extra += Math.max(0, lane.processing - 1) + Math.max(0, lane.completed - 1) + lane.other;
	};

	const finishLane = (lane: Lane) => {
		if (lane.done) return;
		lane.done = true;
		closeTurn(lane);
		lane.turn = 0;
		if (--lanesLeft === 0) onAllDone();
	};

	const startTurn = (lane: Lane) => {
		lane.timer = undefined;
		closeTurn(lane);
		lane.turn++;
		lane.decisiveAt = undefined;
		lane.lost = false;
		lane.completedAt = undefined;
		lane.readyAt = undefined;
		lane.processing = 0;
		lane.completed = 0;
		lane.other = 0;
		lane.settled = false;
		// What the engine does before it pastes input: open the latch, start a fresh buffer.
		monitor.notifyInputSent(lane.id);
		monitor.clearBuffer(lane.id);
		writer?.send({ type: 'turn', id: lane.id, turn: lane.turn });
		// Should the writer never report the prompt, the turn still ends.
		lane.timer = setTimeout(() => settle(lane), nominalTurnMs + settleTimeoutMs * 2);
	};

	const settle = (lane: Lane) => {
		if (lane.settled) return;
		lane.settled = true;
		if (lane.timer) clearTimeout(lane.timer);
		lane.timer = undefined;
		const now = epochNow();
		const quiet = quietMs * (0.8 + Math.random() * 0.4);
		const nextAt = Math.max(now, (lane.decisiveAt ?? now) + quiet);
		if (nextAt >= measureEnd) {
			finishLane(lane);
			return;
		}
		lane.timer = setTimeout(() => startTurn(lane), nextAt - now);
	};

	const trySettle = (lane: Lane) => {
		if (lane.settled) return;
		if (lane.lost) {
			settle(lane);
			return;
		}
		if (lane.decisiveAt === undefined) return;
		if (lane.completedAt !== undefined && lane.completedAt >= lane.decisiveAt && lane.completed === 1) {
			latencies.push(lane.completedAt - lane.decisiveAt);
		}
		if (lane.readyAt !== undefined) {
			if (lane.readyAt >= lane.decisiveAt) readyLatencies.push(lane.readyAt - lane.decisiveAt);
			settle(lane);
			return;
		}
		if (lane.timer) clearTimeout(lane.timer);
		lane.timer = setTimeout(() => settle(lane), Math.max(0, lane.decisiveAt + settleTimeoutMs - epochNow()));
	};

	const onStatus = (lane: Lane, status: TerminalStatus, rule: string) => {
		const at = epochNow();
		if (!measuring) {
			if (status === 'idle' && !lane.idle) {
				lane.idle = true;
				if (--idleLeft === 0) onAllIdle();
			}
			return;
		}
		statuses[status] = (statuses[status] ?? 0) + 1;
		rules[rule] = (rules[rule] ?? 0) + 1;
		if (lane.turn === 0) {
			extra++;
			return;
		}
		if (status === 'processing') lane.processing++;
		else if (status === 'completed') {
			lane.completed++;
			if (lane.completed === 1) lane.completedAt = at;
		} else lane.other++;
		if (readyStatuses.has(status) && lane.readyAt === undefined) {
			lane.readyAt = at;
			// The latency is taken here unless the prompt's report is still on its way.
			if (lane.decisiveAt !== undefined && !lane.settled) trySettle(lane);
		}
	};

	const onDecisive = (id: string, turn: number, at: number | null) => {
		const lane = laneById.get(id);
		if (!lane || lane.turn !== turn || lane.settled) return;
		if (at === null) lane.lost = true;
		else lane.decisiveAt = at;
		trySettle(lane);
	};

	try {
		for (const lane of lanes) {
			// An exact topic per terminal: the bench adds no pattern listener to the output path.
			bus.on(terminalTopic(lane.id, 'status'), (event) => onStatus(lane, event.status, event.rule));
			if (source.startsIdle) {
				lane.idle = true;
				if (--idleLeft === 0) onAllIdle();
			}
		}
		writer = startWriter(onDecisive, (error) => failRun(error));
		writer.send({ type: 'open', fifos: lanes.map(({ id, path }) => ({ id, path })), plan });
		await Promise.race([
			withTimeout(writer.opened, 10_000, 'waiting for the writer to open the FIFOs'),
			failed,
		]);

		// Every terminal shows its banner and prompt and is idle before anything is measured.
		if (!source.startsIdle) for (const lane of lanes) writer.send({ type: 'banner', id: lane.id });
		await Promise.race([
			withTimeout(allIdle, idleTimeoutMs, 'waiting for every terminal to be idle'),
			failed,
		]);

		writer.send({ type: 'mark' });
		const bytesBefore = source.bytesRead();
		const profile = await startProfile();
		const cpuBefore = process.cpuUsage();
		const start = epochNow();
		measureEnd = start + options.seconds * 1000;
		measuring = true;
		loopDelay.enable();
		for (const lane of lanes) {
			// Staggered over one turn's length so the terminals do not all write at the same instant.
			lane.timer = setTimeout(() => startTurn(lane), Math.random() * nominalTurnMs);
		}
		await Promise.race([allDone, failed]);
		const wallSeconds = (epochNow() - start) / 1000;
		const cpu = process.cpuUsage(cpuBefore);
		await profile?.stop(`${backend}-${count}`);
		loopDelay.disable();
		const bytesRead = source.bytesRead() - bytesBefore;
		const report = await Promise.race([
			withTimeout(writer.report(), 5000, 'waiting for the writer report'),
			failed,
		]);
		const cpuSeconds = (cpu.user + cpu.system) / 1e6;
		const sorted = latencies.sort((a, b) => a - b);
		const p50 = percentile(sorted, 0.5);
		const p99 = percentile(sorted, 0.99);
		const afterQuiet = (value: number | null) => (value === null ? null : value - quietWindowMs);
		const readySorted = readyLatencies.sort((a, b) => a - b);
		return {
			wallSeconds,
			throughputMBps: bytesRead / 1e6 / wallSeconds,
			eventsPerSecond: events / wallSeconds,
			cpuPercent: (cpuSeconds / wallSeconds) * 100,
			cpuSystemPercent: (cpu.system / 1e6 / wallSeconds) * 100,
			cpuSecondsPerMB: bytesRead > 0 ? cpuSeconds / (bytesRead / 1e6) : null,
			p50Ms: p50,
			p99Ms: p99,
			p50AfterQuietMs: afterQuiet(p50),
			p99AfterQuietMs: afterQuiet(p99),
			readyP50Ms: percentile(readySorted, 0.5),
			readyP99Ms: percentile(readySorted, 0.99),
			turns,
			latencySamples: sorted.length,
			dropped: droppedProcessing + droppedCompleted,
			droppedProcessing,
			droppedCompleted,
			extra,
			bytesWritten: report.written,
			bytesRead,
			writerDroppedBytes: report.dropped + report.backlog,
			peakRssMB: rss.peakMB(),
			writerCpuPercent: (report.cpuMs / report.wallMs) * 100,
			writerLagP99Ms: report.lagP99Ms,
			writerStalls: report.stalls,
			loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
			statuses,
			rules,
			warnings,
			floorRatio: null,
		};
	} finally {
		stopWatching();
		measuring = false;
		rss.stop();
		loopDelay.disable();
		for (const lane of lanes) if (lane.timer) clearTimeout(lane.timer);
		// The writer goes first, so nothing writes into a FIFO whose reader has gone.
		await writer?.close().catch(() => {});
		await source.close();
		await rm(home, { recursive: true, force: true }).catch(() => {});
	}
};

type Figure = {
	key: keyof RunResult;
	label: string;
	digits: number;
	/** Whether a figure at N=200 meets its target; undefined when it has none. */
	target?: { text: string; met: (value: number) => boolean };
};

const figures: Figure[] = [
	{ key: 'throughputMBps', label: 'throughput through the engine (MB/s)', digits: 3 },
	{ key: 'eventsPerSecond', label: 'bus events per second (output, status…)', digits: 0 },
	{
		key: 'cpuPercent',
		label: 'engine CPU (% of one core)',
		digits: 1,
		target: { text: `< ${targets.cpuPercent} %`, met: (value) => value < targets.cpuPercent },
	},
	{ key: 'cpuSystemPercent', label: '  of which in the kernel (system time)', digits: 1 },
	{ key: 'cpuSecondsPerMB', label: 'engine CPU (s per MB)', digits: 3 },
	{ key: 'p50Ms', label: 'latency p50, prompt → completed (ms)', digits: 0 },
	{ key: 'p99Ms', label: 'latency p99, prompt → completed (ms)', digits: 0 },
	{ key: 'p50AfterQuietMs', label: `  p50 minus the ${quietWindowMs} ms quiet window`, digits: 0 },
	{
		key: 'p99AfterQuietMs',
		label: `  p99 minus the ${quietWindowMs} ms quiet window`,
		digits: 0,
		target: {
			text: `< ${targets.p99AfterQuietMs} ms`,
			met: (value) => value < targets.p99AfterQuietMs,
		},
	},
	{ key: 'readyP50Ms', label: 'latency p50, prompt → any ready status (ms)', digits: 0 },
	{ key: 'readyP99Ms', label: 'latency p99, prompt → any ready status (ms)', digits: 0 },
	{ key: 'turns', label: 'turns measured', digits: 0 },
	{ key: 'latencySamples', label: '  of which gave a latency sample', digits: 0 },
	{
		key: 'dropped',
		label: 'dropped status changes',
		digits: 0,
		target: { text: `= ${targets.dropped}`, met: (value) => value <= targets.dropped },
	},
	{ key: 'droppedProcessing', label: '  processing never seen', digits: 0 },
	{ key: 'droppedCompleted', label: '  completed never seen', digits: 0 },
	{ key: 'extra', label: 'extra / flapping status changes', digits: 0 },
	{ key: 'bytesWritten', label: 'bytes written', digits: 0 },
	{ key: 'bytesRead', label: 'bytes read', digits: 0 },
	{ key: 'writerDroppedBytes', label: 'bytes the writer dropped', digits: 0 },
	{
		key: 'floorRatio',
		label: 'engine CPU ÷ the cat floor at the same N',
		digits: 1,
		target: { text: `≤ ${targets.floorRatio}`, met: (value) => value <= targets.floorRatio },
	},
	{
		key: 'peakRssMB',
		label: 'peak RSS (MB)',
		digits: 1,
		target: { text: `≤ ${targets.rssMB} MB`, met: (value) => value <= targets.rssMB },
	},
	{ key: 'writerCpuPercent', label: 'bench: writer child CPU (% of one core)', digits: 1 },
	{ key: 'writerLagP99Ms', label: 'bench: writer schedule lag p99 (ms)', digits: 0 },
	{ key: 'writerStalls', label: 'bench: writes that met a full FIFO', digits: 0 },
	{ key: 'loopDelayP99Ms', label: 'engine event-loop delay p99 (ms)', digits: 1 },
];

type Summary = { backend: BenchBackend; n: number; runs: RunResult[]; median: Record<string, number | null> };

const summarize = (backend: BenchBackend, n: number, runs: RunResult[]): Summary => {
	const medianOf: Record<string, number | null> = {};
	for (const { key } of figures) medianOf[key] = median(runs.map((run) => run[key] as number | null));
	medianOf.wallSeconds = median(runs.map((run) => run.wallSeconds));
	return { backend, n, runs, median: medianOf };
};

const format = (value: number | null | undefined, digits: number) =>
	value === null || value === undefined
		? 'n/a'
		: value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

type Miss = { figure: string; value: number | null; digits: number; target: string };

const targetMisses = (summary: Summary | undefined): Miss[] => {
	if (!summary) return [];
	const misses: Miss[] = [];
	for (const figure of figures) {
		if (!figure.target) continue;
		const value = summary.median[figure.key] ?? null;
		// No sample is a miss too: there was nothing to meet the target with.
		if (value === null || !figure.target.met(value)) {
			misses.push({ figure: figure.label.trim(), value, digits: figure.digits, target: figure.target.text });
		}
	}
	return misses;
};

const countsLine = (
	label: string,
	summaries: Summary[],
	pick: (run: RunResult) => Record<string, number>,
) => {
	const parts = summaries.map(({ n, runs }) => {
		const keys = [...new Set(runs.flatMap((run) => Object.keys(pick(run))))].sort();
		const text = keys.map((key) => `${key} ${format(median(runs.map((run) => pick(run)[key] ?? 0)), 0)}`);
		return `N=${n}: ${text.join(', ') || 'none'}`;
	});
	return `${label}\n${parts.map((part) => `  ${part}`).join('\n')}`;
};

const scope: Record<BenchBackend, string> = {
	fifo: 'the pipeline alone: FIFO readers → bus → status monitor (fake provider) + log writer, no terminals',
	tmux: 'the whole engine on tmux: cat in each pane → pipe-pane → FIFO → bus → status monitor, log writer, store, inbox',
	pty: 'the whole engine on node-pty: cat in each pty → bus → status monitor, log writer, store, inbox',
	cat: 'the floor: the same writer and turns into FIFOs, each read by cat into /dev/null',
};

/** One backend's table: a column per N, the targets checked at N=200. */
const renderTable = (options: Options, backend: BenchBackend, summaries: Summary[]): string => {
	const plan = `${options.rate} B/s per terminal, ${options.seconds} s per run, echo→Enter gap ${options.echoGapMs} ms`;
	const header = [
		`cao-tui benchmark, ${backend}: ${scope[backend]}`,
		`${plan}; one writer child plays echo, 1 s spinner at 10 fps, 1 s streamed reply, prompt, ~1 s quiet`,
		`Figures are medians of ${options.runs} run${options.runs === 1 ? '' : 's'} per N.`,
		'',
	];
	// The floor has no targets: it is what the others are measured against.
	const targetSummary = backend === 'cat' ? undefined : summaries.find((summary) => summary.n === targets.n);
	const columns = summaries.map((summary) => `N=${summary.n}`);
	// A figure nothing measured (the floor has no statuses) is left out.
	const shown = figures.filter((figure) => summaries.some((summary) => summary.median[figure.key] != null));
	const rows = shown.map((figure) => {
		const cells = summaries.map((summary) => format(summary.median[figure.key], figure.digits));
		let target = '';
		if (figure.target) {
			const value = targetSummary?.median[figure.key];
			const verdict =
				targetSummary === undefined ? '' : value != null && figure.target.met(value) ? ' ok' : ' MISS <<<';
			target = `${figure.target.text}${verdict}`;
		}
		return { label: figure.label, cells, target };
	});
	const labelWidth = Math.max(...rows.map((row) => row.label.length));
	const cellWidths = columns.map((column, index) =>
		Math.max(column.length, ...rows.map((row) => (row.cells[index] as string).length)),
	);
	const line = (label: string, cells: string[], target: string) =>
		`${label.padEnd(labelWidth)}  ${cells.map((cell, index) => cell.padStart(cellWidths[index] as number)).join('  ')}  ${target}`.trimEnd();
	const out = [
		...header,
		line('', columns, `target at N=${targets.n}`),
		...rows.map((row) => line(row.label, row.cells, row.target)),
		'',
		...(backend === 'cat'
			? []
			: [
					countsLine(
						'status changes seen while measuring (median per run):',
						summaries,
						(run) => run.statuses,
					),
					countsLine('rules that decided them:', summaries, (run) => run.rules),
					'',
				]),
	];
	if (backend === 'cat') out.push('CPU is the cat processes’ own (user + system).');
	else if (!targetSummary) out.push(`Targets apply to N=${targets.n}, which was not run.`);
	else {
		const misses = targetMisses(targetSummary);
		if (misses.length === 0) out.push(`All targets at N=${targets.n} met.`);
		for (const miss of misses) {
			const value = miss.value === null ? 'n/a (no sample at all)' : format(miss.value, miss.digits);
			out.push(`TARGET MISSED at N=${targets.n}: ${miss.figure} is ${value} (target ${miss.target})`);
		}
	}
	return `${out.join('\n')}\n`;
};

/** The idle scenario's figures, a line per backend. */
const renderIdle = (options: Options, idles: { backend: BenchBackend; runs: IdleResult[] }[]): string => {
	const rows = idles.map(({ backend, runs }) => {
		const pick = (key: keyof IdleResult) => median(runs.map((run) => run[key]));
		const cpu = pick('cpuPercent');
		const spawned = pick('subprocesses');
		const verdict = cpu !== null && cpu <= 1 && spawned === 0 ? 'ok' : 'MISS <<<';
		return `  ${backend.padEnd(5)} CPU ${format(cpu, 2)} %, ${format(pick('wakeupsPerSecond'), 1)} wake-ups/s, ${format(spawned, 0)} subprocesses, peak RSS ${format(pick('peakRssMB'), 1)} MB  (target ≤ 1 % and none: ${verdict})`;
	});
	return [
		`Idle: ${options.idle} quiet terminals for ${options.idleSeconds} s (medians of ${options.runs} run${options.runs === 1 ? '' : 's'}); wake-ups are the engine process's context switches, all threads.`,
		...rows,
		'',
	].join('\n');
};

/**
 * Each run gets a fresh process: runs sharing one heap inherit each other's garbage and allocator
 * arenas, which showed as twice the RSS from the second run on.
 */
const runInChild = <T = RunResult>(
	backend: BenchBackend,
	count: number,
	options: Options,
	signal: AbortSignal,
	idle = false,
): Promise<T> =>
	new Promise((resolve, reject) => {
		const args = [
			fileURLToPath(import.meta.url),
			'--one',
			`${backend}:${count}`,
			...(idle ? ['--idle-run', '--idle-seconds', String(options.idleSeconds)] : []),
			'--rate',
			String(options.rate),
			'--seconds',
			String(options.seconds),
			'--echo-gap-ms',
			String(options.echoGapMs),
		];
		const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
		let output = '';
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			output += chunk;
		});
		const abort = () => child.kill('SIGINT');
		signal.addEventListener('abort', abort, { once: true });
		child.on('error', reject);
		child.on('exit', (code) => {
			signal.removeEventListener('abort', abort);
			if (code === 0) resolve(JSON.parse(output) as T);
			else reject(new Error(`run on ${backend} with N=${count} exited with code ${code}`));
		});
	});

const main = async () => {
	let options: Options | undefined;
	try {
		options = parseOptions(process.argv.slice(2));
	} catch (error) {
		process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
		process.exitCode = 2;
		return;
	}
	if (!options) {
		process.stdout.write(`${usage}\n`);
		return;
	}
	const controller = new AbortController();
	const interrupt = () => controller.abort();
	process.once('SIGINT', interrupt);
	process.once('SIGTERM', interrupt);
	if (options.one !== undefined) {
		try {
			const { backend, count } = options.one;
			const result =
				options.idleRun && (backend === 'tmux' || backend === 'pty')
					? await runIdle(backend, count, options.idleSeconds, controller.signal)
					: await runOnce(backend, count, options, controller.signal);
			process.stdout.write(`${JSON.stringify(result)}\n`);
		} finally {
			process.off('SIGINT', interrupt);
			process.off('SIGTERM', interrupt);
		}
		return;
	}
	try {
		const summaries: Summary[] = [];
		for (const backend of options.backends)
			for (const count of options.counts) {
				const runs: RunResult[] = [];
				for (let run = 1; run <= options.runs; run++) {
					process.stderr.write(`${backend} N=${count}: run ${run}/${options.runs}…\n`);
					runs.push(await runInChild(backend, count, options, controller.signal));
				}
				summaries.push(summarize(backend, count, runs));
			}
		// Each engine figure against the floor measured at the same N.
		for (const summary of summaries) {
			const floor = summaries.find((other) => other.backend === 'cat' && other.n === summary.n);
			const [engineCpu, floorCpu] = [summary.median.cpuPercent, floor?.median.cpuPercent];
			if (summary.backend !== 'cat' && engineCpu != null && floorCpu)
				summary.median.floorRatio = engineCpu / floorCpu;
		}
		const idles: { backend: BenchBackend; runs: IdleResult[] }[] = [];
		if (options.idle > 0)
			for (const backend of options.backends.filter((name) => name === 'tmux' || name === 'pty')) {
				const runs: IdleResult[] = [];
				for (let run = 1; run <= options.runs; run++) {
					process.stderr.write(`${backend} idle, N=${options.idle}: run ${run}/${options.runs}…\n`);
					runs.push(await runInChild<IdleResult>(backend, options.idle, options, controller.signal, true));
				}
				idles.push({ backend, runs });
			}
		const table = options.backends
			.map((backend) =>
				renderTable(
					options,
					backend,
					summaries.filter((summary) => summary.backend === backend),
				),
			)
			.join('\n')
			.concat(idles.length > 0 ? `\n${renderIdle(options, idles)}` : '');
		if (options.json) {
			process.stderr.write(table);
			const result = {
				options: { ...options, quietWindowMs, mediansOfRuns: options.runs },
				targets,
				misses: summaries
					.filter((summary) => summary.n === targets.n && summary.backend !== 'cat')
					.map((summary) => ({ backend: summary.backend, misses: targetMisses(summary) })),
				results: summaries,
				idle: idles,
			};
			process.stdout.write(`${JSON.stringify(result)}\n`);
		} else process.stdout.write(table);
	} catch (error) {
		process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exitCode = controller.signal.aborted ? 130 : 1;
	} finally {
		process.off('SIGINT', interrupt);
		process.off('SIGTERM', interrupt);
	}
};

await main();
