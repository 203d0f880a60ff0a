import { closeSync, constants, openSync, writeSync } from 'node:fs';
import {
	banner,
	buildTurn,
	epochNow,
	type FifoTarget,
	type Step,
	type TurnPlan,
	type WriterCommand,
	type WriterMessage,
	type WriterReport,
} from './protocol.js';

/**
 * The benchmark's writer child: plays every terminal's agent into its FIFO, as tmux's pipe-pane
 * would. One process for all FIFOs, so the engine process under test only reads. Driven by the
 * parent over IPC; exits when told to or when the parent goes.
 */

// A FIFO whose reader stalls keeps this much waiting before new bytes are given up.
const backlogCap = 1024 * 1024;

type Fifo = {
	id: string;
	fd: number;
	queue: { bytes: Buffer; decisive: { turn: number } | undefined }[];
	queued: number;
	dead: boolean;
};

type Active = { fifo: Fifo; turn: number; steps: Step[]; next: number; start: number; due: number };

const fifos = new Map<string, Fifo>();
let plan: TurnPlan | undefined;

let written = 0;
let dropped = 0;
let stalls = 0;
let markCpu = process.cpuUsage();
let markWall = epochNow();
// Lag of each scheduled write in whole milliseconds; the last bucket takes everything above.
const lagBuckets = new Uint32Array(10_001);
let lagMax = 0;

const send = (message: WriterMessage) => {
	if (process.connected) process.send?.(message);
};

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Bytes the FIFO took: 0 when it is full (EAGAIN) or gone (EPIPE, and then it is marked dead). */
const tryWrite = (fifo: Fifo, bytes: Buffer): number => {
	try {
		return writeSync(fifo.fd, bytes);
	} catch (error) {
		const code = errorCode(error);
		if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
			stalls++;
			return 0;
		}
		if (code === 'EPIPE') {
			fifo.dead = true;
			return 0;
		}
		throw error;
	}
};

const reportDecisive = (fifo: Fifo, turn: number, at: number | null) =>
	send({ type: 'decisive', id: fifo.id, turn, decisiveAt: at });

const backedUp = new Set<Fifo>();
let retryScheduled = false;

const drainBacklogs = () => {
	retryScheduled = false;
	for (const fifo of backedUp) {
		while (fifo.queue.length > 0 && !fifo.dead) {
			const head = fifo.queue[0] as Fifo['queue'][number];
			const count = tryWrite(fifo, head.bytes);
			written += count;
			fifo.queued -= count;
			if (count < head.bytes.length) {
				head.bytes = head.bytes.subarray(count);
				break;
			}
			fifo.queue.shift();
			if (head.decisive) reportDecisive(fifo, head.decisive.turn, epochNow());
		}
		if (fifo.dead) {
			for (const entry of fifo.queue) {
				dropped += entry.bytes.length;
				if (entry.decisive) reportDecisive(fifo, entry.decisive.turn, null);
			}
			fifo.queue = [];
			fifo.queued = 0;
		}
		if (fifo.queue.length === 0) backedUp.delete(fifo);
	}
	if (backedUp.size > 0) retrySoon();
};

// A full FIFO is retried on the next turn of the event loop, as tmux retries when the pipe drains.
const retrySoon = () => {
	if (retryScheduled) return;
	retryScheduled = true;
	setImmediate(drainBacklogs);
};

const write = (fifo: Fifo, bytes: Buffer, decisive: { turn: number } | undefined) => {
	let rest = bytes;
	if (fifo.queue.length === 0 && !fifo.dead) {
		const count = tryWrite(fifo, rest);
		written += count;
		if (count === rest.length) {
			if (decisive) reportDecisive(fifo, decisive.turn, epochNow());
			return;
		}
		rest = rest.subarray(count);
	}
	if (fifo.dead || fifo.queued + rest.length > backlogCap) {
		dropped += rest.length;
		if (decisive) reportDecisive(fifo, decisive.turn, null);
		return;
	}
	fifo.queue.push({ bytes: rest, decisive });
	fifo.queued += rest.length;
	backedUp.add(fifo);
	retrySoon();
};

// Active turns in a binary min-heap on the due time of their next write: one timer for them all.
const heap: Active[] = [];

const heapPush = (item: Active) => {
	heap.push(item);
	let index = heap.length - 1;
	while (index > 0) {
		const parent = (index - 1) >> 1;
		if ((heap[parent] as Active).due <= item.due) break;
		heap[index] = heap[parent] as Active;
		index = parent;
	}
	heap[index] = item;
};

const heapPop = (): Active | undefined => {
	const top = heap[0];
	const last = heap.pop();
	if (!top || !last || heap.length === 0) return top;
	let index = 0;
	for (;;) {
		const left = index * 2 + 1;
		if (left >= heap.length) break;
		const right = left + 1;
		const child =
			right < heap.length && (heap[right] as Active).due < (heap[left] as Active).due ? right : left;
		if ((heap[child] as Active).due >= last.due) break;
		heap[index] = heap[child] as Active;
		index = child;
	}
	heap[index] = last;
	return top;
};

let timer: NodeJS.Timeout | undefined;
let timerDue = Number.POSITIVE_INFINITY;

const arm = () => {
	const head = heap[0];
	if (!head) return;
	if (timer && timerDue <= head.due) return;
	if (timer) clearTimeout(timer);
	timerDue = head.due;
	timer = setTimeout(tick, Math.max(0, head.due - epochNow()));
};

const tick = () => {
	timer = undefined;
	timerDue = Number.POSITIVE_INFINITY;
	// Timers run on the loop's millisecond clock, so a write may come up to 1 ms before its due time.
	const horizon = epochNow() + 1;
	while (heap.length > 0 && (heap[0] as Active).due <= horizon) {
		const active = heapPop() as Active;
		const lag = Math.max(0, epochNow() - active.due);
		const bucket = Math.min(lagBuckets.length - 1, Math.floor(lag));
		lagBuckets[bucket] = (lagBuckets[bucket] as number) + 1;
		if (lag > lagMax) lagMax = lag;
		const step = active.steps[active.next++] as Step;
		write(active.fifo, step.bytes, step.decisive ? { turn: active.turn } : undefined);
		const following = active.steps[active.next];
		if (following) {
			active.due = active.start + following.at;
			heapPush(active);
		}
	}
	arm();
};

const lagPercentile = (fraction: number): number => {
	let total = 0;
	for (const count of lagBuckets) total += count;
	if (total === 0) return 0;
	const rank = Math.ceil(total * fraction);
	let seen = 0;
	for (let index = 0; index < lagBuckets.length; index++) {
		seen += lagBuckets[index] as number;
		if (seen >= rank) return index;
	}
	return lagBuckets.length - 1;
};

const report = (): WriterReport => {
	const cpu = process.cpuUsage(markCpu);
	let backlog = 0;
	for (const fifo of fifos.values()) backlog += fifo.queued;
	return {
		written,
		dropped,
		backlog,
		stalls,
		cpuMs: (cpu.user + cpu.system) / 1000,
		wallMs: epochNow() - markWall,
		lagP99Ms: lagPercentile(0.99),
		lagMaxMs: lagMax,
	};
};

const open = (targets: readonly FifoTarget[]) => {
	for (const { id, path } of targets) {
		// Non-blocking, so one full FIFO never stalls the writes to all the others.
		const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
		fifos.set(id, { id, fd, queue: [], queued: 0, dead: false });
	}
};

const fifoOf = (id: string): Fifo => {
	const fifo = fifos.get(id);
	if (!fifo) throw new Error(`no FIFO open for terminal ${id}`);
	return fifo;
};

const shutdown = (code: number) => {
	if (timer) clearTimeout(timer);
	for (const fifo of fifos.values()) {
		try {
			closeSync(fifo.fd);
		} catch {
			// Closing is best effort: the process ends next.
		}
	}
	fifos.clear();
	process.exit(code);
};

const handle = (command: WriterCommand) => {
	switch (command.type) {
		case 'open':
			plan = command.plan;
			open(command.fifos);
			send({ type: 'opened' });
			return;
		case 'banner':
			write(fifoOf(command.id), Buffer.from(banner), undefined);
			return;
		case 'turn': {
			if (!plan) throw new Error('turn before open');
			const start = epochNow();
			const steps = buildTurn(plan, command.turn);
			heapPush({ fifo: fifoOf(command.id), turn: command.turn, steps, next: 0, start, due: start });
			arm();
			return;
		}
		case 'mark':
			written = 0;
			dropped = 0;
			stalls = 0;
			lagBuckets.fill(0);
			lagMax = 0;
			markCpu = process.cpuUsage();
			markWall = epochNow();
			return;
		case 'report':
			send({ type: 'report', report: report() });
			return;
		case 'exit':
			shutdown(0);
	}
};

process.on('message', (message) => {
	try {
		handle(message as WriterCommand);
	} catch (error) {
		send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
	}
});
// The parent gone (or done): nothing left to write for.
process.on('disconnect', () => shutdown(0));
