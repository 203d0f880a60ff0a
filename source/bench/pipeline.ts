import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEventBus, type EventBus } from '../engine/bus.js';
import { terminalTopic } from '../engine/events.js';
import { type FifoReader, makeFifo, openFifoReader } from '../engine/fifo/fifo-reader.js';
import { createLogWriter, type LogWriter } from '../engine/logs/log-writer.js';
import { createStatusMonitor, quietWindowMs, type StatusMonitor } from '../engine/status/status-monitor.js';
import { readyStatuses, type TerminalStatus } from '../engine/status/statuses.js';
import { fakeProvider } from '../providers/fake.js';
import {
	epochNow,
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

const usage = `Usage: npm run bench:pipeline -- [options]
  --n 1,50,200     terminal counts to measure (default 1,50,200)
  --rate 20480     average bytes per second per terminal over a whole turn
  --seconds 20     measured time per run; the last turns then finish
  --runs 3         runs per N; figures are their medians
  --echo-gap-ms 50 echo of the input to Enter (default: the fake provider's submit delay)
  --quick          N=1,50, 5 s, 1 run
  --json           one JSON object on stdout (the table goes to stderr)`;

type Options = {
	counts: number[];
	rate: number;
	seconds: number;
	runs: number;
	echoGapMs: number;
	json: boolean;
	/** Internal: measure one run of this N in this process and print its result as JSON. */
	one: number | undefined;
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

const targets = { n: 200, cpuPercent: 30, p99AfterQuietMs: 300, dropped: 0 } as const;

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

const parseOptions = (argv: string[]): Options | undefined => {
	const { values } = parseArgs({
		args: argv,
		options: {
			n: { type: 'string' },
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
	const counts = (values.n ?? (quick ? '1,50' : '1,50,200'))
		.split(',')
		.map((part) => positiveInteger('n', part.trim(), 0));
	return {
		counts,
		rate: positiveInteger('rate', values.rate, 20_480),
		seconds: positiveInteger('seconds', values.seconds, quick ? 5 : 20),
		runs: positiveInteger('runs', values.runs, quick ? 1 : 3),
		echoGapMs: positiveInteger('echo-gap-ms', values['echo-gap-ms'], fakeProvider.input.submitDelayMs, true),
		json: values.json,
		one: values.one === undefined ? undefined : positiveInteger('one', values.one, 1),
	};
};

/** What one run measured; null where there was nothing to measure. */
type RunResult = {
	wallSeconds: number;
	throughputMBps: number;
	cpuPercent: number;
	/** The kernel's share: pipe reads and the log files' open/write/close. */
	cpuSystemPercent: number;
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
	dropped: number;
	droppedProcessing: number;
	droppedCompleted: number;
	extra: number;
	bytesWritten: number;
	bytesRead: number;
	writerDroppedBytes: number;
	peakRssMB: number;
	writerCpuPercent: number;
	writerLagP99Ms: number;
	writerStalls: number;
	loopDelayP99Ms: number;
	/** Status events of the measured window by status, and the rules that decided them. */
	statuses: Record<string, number>;
	rules: Record<string, number>;
	warnings: number;
};

type Lane = {
	id: string;
	path: string;
	reader: FifoReader | undefined;
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

const runOnce = async (count: number, options: Options, signal: AbortSignal): Promise<RunResult> => {
	const home = await mkdtemp(join(tmpdir(), 'cao-bench-'));
	const fifoDir = join(home, 'fifos');
	await mkdir(fifoDir, { mode: 0o700 });
	const plan: TurnPlan = {
		rate: options.rate,
		echoGapMs: options.echoGapMs,
		spinnerMs,
		frameMs,
		replyMs,
		chunkMs,
		quietMs,
	};
	const nominalTurnMs = turnLengthMs(plan);
	let warnings = 0;
	const warn = (message: string) => {
		warnings++;
		if (warnings <= 5) process.stderr.write(`warning: ${message}\n`);
	};
	const bus: EventBus = createEventBus((error, topic) =>
		warn(`handler for ${topic} failed: ${String(error)}`),
	);
	const monitor: StatusMonitor = createStatusMonitor({ bus });
	const logWriter: LogWriter = createLogWriter({ bus, directory: join(home, 'logs'), warn });

	const lanes: Lane[] = Array.from({ length: count }, (_, index) => {
		const id = `t${String(index + 1).padStart(4, '0')}`;
		return {
			id,
			path: join(fifoDir, `${id}.fifo`),
			reader: undefined,
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
	let failRun: (error: Error) => void = () => {};
	const failed = new Promise<never>((_resolve, reject) => {
		failRun = reject;
	});
	failed.catch(() => {});
	const onAbort = () => failRun(new Error('interrupted'));
	signal.addEventListener('abort', onAbort);

	let measuring = false;
	let measureEnd = 0;
	const latencies: number[] = [];
	const readyLatencies: number[] = [];
	const statuses: Record<string, number> = {};
	const rules: Record<string, number> = {};
	let turns = 0;
	let droppedProcessing = 0;
	let droppedCompleted = 0;
	let extra = 0;
	let writer: Writer | undefined;
	let peakRss = process.memoryUsage().rss;
	const rssTimer = setInterval(() => {
		peakRss = Math.max(peakRss, process.memoryUsage().rss);
	}, rssSampleMs);
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

	const readersBytes = () => lanes.reduce((sum, lane) => sum + (lane.reader?.bytes ?? 0), 0);

	try {
		await eachLimited(lanes, 16, (lane) => makeFifo(lane.path));
		monitor.start();
		logWriter.start();
		for (const lane of lanes) {
			monitor.register(lane.id, fakeProvider);
			const topic = terminalTopic(lane.id, 'output');
			lane.reader = openFifoReader({
				path: lane.path,
				onData: (data) => bus.emit(topic, { terminalId: lane.id, data, at: Date.now() }),
				onError: (error) => warn(`terminal ${lane.id}: ${error.message}`),
			});
			// An exact topic per terminal: the bench adds no pattern listener to the output path.
			bus.on(terminalTopic(lane.id, 'status'), (event) => onStatus(lane, event.status, event.rule));
		}
		writer = startWriter(onDecisive, (error) => failRun(error));
		writer.send({ type: 'open', fifos: lanes.map(({ id, path }) => ({ id, path })), plan });
		await Promise.race([
			withTimeout(writer.opened, 10_000, 'waiting for the writer to open the FIFOs'),
			failed,
		]);

		// Every terminal shows its banner and prompt and is idle before anything is measured.
		for (const lane of lanes) writer.send({ type: 'banner', id: lane.id });
		await Promise.race([
			withTimeout(allIdle, idleTimeoutMs, 'waiting for every terminal to be idle'),
			failed,
		]);

		writer.send({ type: 'mark' });
		const bytesBefore = readersBytes();
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
		loopDelay.disable();
		const bytesRead = readersBytes() - bytesBefore;
		const report = await Promise.race([
			withTimeout(writer.report(), 5000, 'waiting for the writer report'),
			failed,
		]);
		peakRss = Math.max(peakRss, process.memoryUsage().rss);

		const cpuSeconds = (cpu.user + cpu.system) / 1e6;
		const sorted = latencies.sort((a, b) => a - b);
		const p50 = percentile(sorted, 0.5);
		const p99 = percentile(sorted, 0.99);
		const afterQuiet = (value: number | null) => (value === null ? null : value - quietWindowMs);
		const readySorted = readyLatencies.sort((a, b) => a - b);
		return {
			wallSeconds,
			throughputMBps: bytesRead / 1e6 / wallSeconds,
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
			peakRssMB: peakRss / 1024 / 1024,
			writerCpuPercent: (report.cpuMs / report.wallMs) * 100,
			writerLagP99Ms: report.lagP99Ms,
			writerStalls: report.stalls,
			loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
			statuses,
			rules,
			warnings,
		};
	} finally {
		signal.removeEventListener('abort', onAbort);
		measuring = false;
		clearInterval(rssTimer);
		loopDelay.disable();
		for (const lane of lanes) if (lane.timer) clearTimeout(lane.timer);
		// The writer goes first, so nothing writes into a FIFO whose reader has gone.
		await writer?.close().catch(() => {});
		for (const lane of lanes) lane.reader?.stop();
		monitor.stop();
		await logWriter.stop().catch(() => {});
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
	{ key: 'peakRssMB', label: 'peak RSS (MB)', digits: 1 },
	{ key: 'writerCpuPercent', label: 'bench: writer child CPU (% of one core)', digits: 1 },
	{ key: 'writerLagP99Ms', label: 'bench: writer schedule lag p99 (ms)', digits: 0 },
	{ key: 'writerStalls', label: 'bench: writes that met a full FIFO', digits: 0 },
	{ key: 'loopDelayP99Ms', label: 'engine event-loop delay p99 (ms)', digits: 1 },
];

type Summary = { n: number; runs: RunResult[]; median: Record<string, number | null> };

const summarize = (n: number, runs: RunResult[]): Summary => {
	const medianOf: Record<string, number | null> = {};
	for (const { key } of figures) medianOf[key] = median(runs.map((run) => run[key] as number | null));
	medianOf.wallSeconds = median(runs.map((run) => run.wallSeconds));
	return { n, runs, median: medianOf };
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

const renderTable = (options: Options, summaries: Summary[]): string => {
	const plan = `${options.rate} B/s per terminal, ${options.seconds} s per run, echo→Enter gap ${options.echoGapMs} ms`;
	const header = [
		'cao-tui pipeline benchmark: FIFO readers → bus → status monitor (fake provider) + log writer, no tmux',
		`${plan}; one writer child plays echo, 1 s spinner at 10 fps, 1 s streamed reply, prompt, ~1 s quiet`,
		`Figures are medians of ${options.runs} run${options.runs === 1 ? '' : 's'} per N.`,
		'',
	];
	const targetSummary = summaries.find((summary) => summary.n === targets.n);
	const columns = summaries.map((summary) => `N=${summary.n}`);
	const rows = figures.map((figure) => {
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
		countsLine('status changes seen while measuring (median per run):', summaries, (run) => run.statuses),
		countsLine('rules that decided them:', summaries, (run) => run.rules),
		'',
	];
	if (!targetSummary) out.push(`Targets apply to N=${targets.n}, which was not run.`);
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

/**
 * Each run gets a fresh process: runs sharing one heap inherit each other's garbage and allocator
 * arenas, which showed as twice the RSS from the second run on.
 */
const runInChild = (count: number, options: Options, signal: AbortSignal): Promise<RunResult> =>
	new Promise((resolve, reject) => {
		const args = [
			fileURLToPath(import.meta.url),
			'--one',
			String(count),
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
			if (code === 0) resolve(JSON.parse(output) as RunResult);
			else reject(new Error(`run with N=${count} exited with code ${code}`));
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
			process.stdout.write(`${JSON.stringify(await runOnce(options.one, options, controller.signal))}\n`);
		} finally {
			process.off('SIGINT', interrupt);
			process.off('SIGTERM', interrupt);
		}
		return;
	}
	try {
		const summaries: Summary[] = [];
		for (const count of options.counts) {
			const runs: RunResult[] = [];
			for (let run = 1; run <= options.runs; run++) {
				process.stderr.write(`N=${count}: run ${run}/${options.runs}…\n`);
				runs.push(await runInChild(count, options, controller.signal));
			}
			summaries.push(summarize(count, runs));
		}
		const table = renderTable(options, summaries);
		if (options.json) {
			process.stderr.write(table);
			const targetSummary = summaries.find((summary) => summary.n === targets.n);
			const result = {
				options: { ...options, quietWindowMs, mediansOfRuns: options.runs },
				targets: { ...targets, misses: targetSummary ? targetMisses(targetSummary) : null },
				results: summaries,
			};
			process.stdout.write(`${JSON.stringify(result)}\n`);
		} else process.stdout.write(table);
	} catch (error) {
		process.stderr.write(
			`bench:pipeline failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exitCode = controller.signal.aborted ? 130 : 1;
	} finally {
		process.off('SIGINT', interrupt);
		process.off('SIGTERM', interrupt);
	}
};

await main();
