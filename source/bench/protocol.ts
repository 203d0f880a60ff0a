import { performance } from 'node:perf_hooks';

/**
 * What the pipeline benchmark and its writer child say to each other over the IPC channel, and the
 * byte script of one agent turn. Both processes import this file; it has no side effects.
 */

/** Milliseconds since the Unix epoch with sub-millisecond precision: comparable across processes. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export type FifoTarget = { id: string; path: string };

/** How a turn is paced. Every duration is in milliseconds. */
export type TurnPlan = {
	/** Average bytes per second of one terminal over a whole turn, quiet spell included. */
	rate: number;
	/** Between the echo of the input and the Enter that starts the spinner (the engine's submit delay). */
	echoGapMs: number;
	spinnerMs: number;
	frameMs: number;
	replyMs: number;
	/** Between two writes of the streamed reply. */
	chunkMs: number;
	/** Nominal quiet after the prompt; the parent jitters it when it schedules the next turn. */
	quietMs: number;
};

export type WriterCommand =
	| { type: 'open'; fifos: readonly FifoTarget[]; plan: TurnPlan }
	| { type: 'banner'; id: string }
	| { type: 'turn'; id: string; turn: number }
	/** Starts the measured window: counters back to zero. */
	| { type: 'mark' }
	| { type: 'report' }
	| { type: 'exit' };

export type WriterReport = {
	/** Bytes that reached a FIFO since the mark. */
	written: number;
	/** Bytes given up: FIFO gone or backlog over its cap. */
	dropped: number;
	/** Bytes still waiting for room in a full FIFO. */
	backlog: number;
	/** Writes that met a full FIFO (EAGAIN) and had to wait. */
	stalls: number;
	cpuMs: number;
	wallMs: number;
	/** How late scheduled writes ran: a starved writer shows here first. */
	lagP99Ms: number;
	lagMaxMs: number;
};

export type WriterMessage =
	| { type: 'opened' }
	/** `decisiveAt` is null when the prompt bytes could not be written. */
	| { type: 'decisive'; id: string; turn: number; decisiveAt: number | null }
	| { type: 'report'; report: WriterReport }
	| { type: 'failed'; message: string };

export type Step = { at: number; bytes: Buffer; decisive: boolean };

export const turnLengthMs = (plan: TurnPlan): number =>
	plan.echoGapMs + plan.spinnerMs + plan.replyMs + plan.quietMs;

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
export const prompt = '\r\n❯ ';
export const banner = `\x1b[?2004h╭──────────────────────────────────────╮\r\n│ Fake Agent (cao-tui bench peer)      │\r\n╰──────────────────────────────────────╯\r\n${prompt}`;

const spinnerFrame = (index: number, elapsedMs: number) =>
	`\r\x1b[2K${frames[index % frames.length]} Thinking… (${Math.floor(elapsedMs / 1000) + 1}s · esc to interrupt)`;

const replyLine = (index: number) =>
	`  more text… line ${String(index).padStart(4, '0')} of a long streamed answer, lorem ipsum dolor sit\r\n`;

/** The reply body split into one buffer per streamed write; the same for every turn of a plan. */
const replyChunks = (plan: TurnPlan, fixedBytes: number): Buffer[] => {
	const count = Math.max(1, Math.round(plan.replyMs / plan.chunkMs));
	const target = Math.max(0, Math.round((plan.rate * turnLengthMs(plan)) / 1000) - fixedBytes);
	const lineBytes = Buffer.byteLength(replyLine(0));
	const lines = Math.ceil(target / lineBytes);
	const chunks: Buffer[] = [];
	let line = 0;
	for (let chunk = 0; chunk < count; chunk++) {
		const end = Math.round(((chunk + 1) * lines) / count);
		let text = '';
		for (; line < end; line++) text += replyLine(line);
		chunks.push(Buffer.from(text));
	}
	return chunks;
};

const chunkCache = new WeakMap<TurnPlan, Buffer[]>();

/**
 * One turn as the fake agent prints it: the echo of the input, Enter and a spinner at 10 fps, a
 * streamed reply (`● ` then indented lines), and the prompt, the decisive write. The reply is sized
 * so the turn's bytes over its nominal length, quiet spell included, average `plan.rate`.
 */
export const buildTurn = (plan: TurnPlan, turn: number): Step[] => {
	const steps: Step[] = [];
	const add = (at: number, text: string | Buffer, decisive = false) =>
		steps.push({ at, bytes: typeof text === 'string' ? Buffer.from(text) : text, decisive });
	add(0, `bench input ${turn}`);
	const frameCount = Math.max(1, Math.round(plan.spinnerMs / plan.frameMs));
	for (let index = 0; index < frameCount; index++) {
		const at = plan.echoGapMs + index * plan.frameMs;
		add(at, `${index === 0 ? '\r\n' : ''}${spinnerFrame(index, index * plan.frameMs)}`);
	}
	const replyStart = plan.echoGapMs + plan.spinnerMs;
	const header = `\r\x1b[2K● first line of the reply to turn ${turn}\r\n`;
	const fixed = steps.reduce((sum, step) => sum + step.bytes.length, 0) + Buffer.byteLength(header + prompt);
	let chunks = chunkCache.get(plan);
	if (!chunks) {
		chunks = replyChunks(plan, fixed);
		chunkCache.set(plan, chunks);
	}
	chunks.forEach((chunk, index) => {
		const at = replyStart + index * plan.chunkMs;
		add(at, index === 0 ? Buffer.concat([Buffer.from(header), chunk]) : chunk);
	});
	add(replyStart + plan.replyMs, prompt, true);
	return steps;
};
