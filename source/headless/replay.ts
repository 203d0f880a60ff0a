import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { createEventBus } from '../engine/bus.js';
import type { TerminalEvents } from '../engine/events.js';
import { timesSuffix } from '../engine/logs/log-writer.js';
import { createStatusMonitor, quietWindowMs } from '../engine/status/status-monitor.js';
import { CaoError } from '../errors.js';
import { getProvider } from '../providers/registry.js';

export type TimedEvent = { kind: 'output'; at: number; data: string } | { kind: 'input'; at: number };

/** Chunking for a log without a timing file: the FIFO reader's cap, 50 ms apart. */
const untimedChunkBytes = 4096;
const untimedGapMs = 50;

/**
 * A LogWriter log and its `.times` file as events. A log without timing (or with bytes past the
 * end of its timing) is cut into 4 KB chunks 50 ms apart; `note` says so.
 */
export const parseTimedLog = (log: Buffer, times: string | null): { events: TimedEvent[]; note?: string } => {
	const events: TimedEvent[] = [];
	const decoder = new StringDecoder('utf8');
	let offset = 0;
	let at = 0;
	for (const line of (times ?? '').split('\n')) {
		// "o 1795496575273 1532" (an output chunk of 1532 bytes) or "i 1795496580100 0" (an input)
		const match = /^([oi]) (\d+) (\d+)$/.exec(line);
		if (!match) continue;
		at = Number(match[2]);
		if (match[1] === 'i') {
			events.push({ kind: 'input', at });
			continue;
		}
		const end = Math.min(log.length, offset + Number(match[3]));
		events.push({ kind: 'output', at, data: decoder.write(log.subarray(offset, end)) });
		offset = end;
	}
	const rest = log.length - offset;
	if (rest === 0) return { events };
	for (let start = offset; start < log.length; start += untimedChunkBytes) {
		at += untimedGapMs;
		events.push({ kind: 'output', at, data: decoder.write(log.subarray(start, start + untimedChunkBytes)) });
	}
	const note =
		times === null
			? `no timing file; the log is fed in ${untimedChunkBytes / 1024} KB chunks ${untimedGapMs} ms apart and no input is known`
			: `${rest} bytes after the end of the timing file are fed in ${untimedChunkBytes / 1024} KB chunks ${untimedGapMs} ms apart`;
	return { events, note };
};

export type ReplayStep =
	| { kind: 'input'; at: number }
	| ({ kind: 'status'; at: number } & Omit<TerminalEvents['status'], 'at' | 'terminalId'>);

/**
 * Feeds the events through a real StatusMonitor (same buffer, quiet window and latch as the
 * engine) on real timers, `speed` times faster, and returns the status timeline in the log's own
 * time. Gaps longer than the monitor's windows are shortened: past its quiet window a longer
 * silence changes nothing it decides.
 */
export const replayEvents = async (options: {
	events: readonly TimedEvent[];
	provider: string;
	profile: string | null;
	speed: number;
}): Promise<ReplayStep[]> => {
	const { events, speed } = options;
	const provider = getProvider(options.provider);
	const bus = createEventBus((error) => {
		throw error;
	});
	const monitor = createStatusMonitor({ bus, quietWindowMs: quietWindowMs / speed });
	const id = 'replay';
	const steps: ReplayStep[] = [];
	// Status events carry wall time; map them back onto the log's clock.
	let logClock = events[0]?.at ?? 0;
	let wallAtLogClock = Date.now();
	bus.on('terminal.replay.status', (event) => {
		const { terminalId: _id, at, ...rest } = event;
		steps.push({ kind: 'status', at: Math.round(logClock + (at - wallAtLogClock) * speed), ...rest });
	});
	monitor.register(id, provider, options.profile);
	monitor.start();
	const longestUseful = 2 * quietWindowMs;
	let previous = logClock;
	let judged = 0;
	for (const event of events) {
		const gap = Math.min(Math.max(0, event.at - previous), longestUseful);
		previous = event.at;
		if (gap > 0) await delay(gap / speed);
		// A status decided before this event came (while the last one was handled, or in the gap)
		// belongs before it, whatever a slow machine or shortened gaps say.
		for (const step of steps.slice(judged)) step.at = Math.min(step.at, event.at);
		judged = steps.length;
		logClock = event.at;
		wallAtLogClock = Date.now();
		if (event.kind === 'input') {
			steps.push({ kind: 'input', at: event.at });
			monitor.notifyInputSent(id);
			monitor.clearBuffer(id);
		} else {
			bus.emit('terminal.replay.output', {
				terminalId: id,
				data: event.data,
				bytes: Buffer.from(event.data),
				at: wallAtLogClock,
			});
		}
	}
	// Let the last quiet window pass so the final screen is judged.
	await delay((2 * quietWindowMs) / speed);
	monitor.stop();
	return steps;
};

/** `cao-tui replay`: the status timeline of a raw log, as the engine would have published it. */
export const replayLog = async (options: {
	provider: string;
	file: string;
	profile: string | null;
	speed: number;
	json: boolean;
	write: (text: string) => void;
}): Promise<void> => {
	if (!(options.speed > 0)) throw new CaoError('--speed must be a number above 0');
	getProvider(options.provider);
	let log: Buffer;
	try {
		log = await readFile(options.file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new CaoError(
			code === 'ENOENT' ? `no such file: ${options.file}` : `cannot read ${options.file} (${code})`,
		);
	}
	const times = await readFile(`${options.file}${timesSuffix}`, 'utf8').catch(() => null);
	const { events, note } = parseTimedLog(log, times);
	if (note && !options.json) options.write(`# ${note}\n`);
	const steps = await replayEvents({
		events,
		provider: options.provider,
		profile: options.profile,
		speed: options.speed,
	});
	const start = events[0]?.at ?? 0;
	for (const step of steps) {
		if (options.json) {
			options.write(`${JSON.stringify(step)}\n`);
			continue;
		}
		const time = `+${((step.at - start) / 1000).toFixed(3)}s`.padStart(10);
		options.write(
			step.kind === 'input'
				? `${time}  input\n`
				: `${time}  ${step.previous} → ${step.status}  [${step.rule}] ${JSON.stringify(step.line)}\n`,
		);
	}
};
