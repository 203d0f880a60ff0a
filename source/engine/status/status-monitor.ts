import { StringDecoder } from 'node:string_decoder';
import { oneLine } from '../../errors.js';
import type { DetectContext, Detection, Provider } from '../../providers/types.js';
import type { EventBus, Unsubscribe } from '../bus.js';
import { terminalTopic } from '../events.js';
import { type ByteRing, createByteRing } from '../byte-ring.js';
import { fitsUtf8 } from '../utf8-size.js';
import { readyStatuses, type TerminalStatus } from './statuses.js';

/** What detection reads of a terminal, in UTF-8 bytes. */
export const bufferLimit = 32 * 1024;
/**
 * How much of the start of a turn (since the last input) the buffer keeps once the turn outgrows
 * it: rules like "a reply line, then the prompt" need the reply's first line, which a long reply
 * would otherwise push out.
 */
export const turnHeadLimit = 4 * 1024;
export const quietWindowMs = 200;
/**
 * While output never pauses (a spinner redrawing under a permission question), detection still
 * runs this often, so the question is not hidden behind the animation.
 */
export const streamingDetectMs = 1000;

/** The rule of the `processing` published when input is sent: the evidence is the input itself. */
export const inputSentRule = 'cao.input-sent';

export type StatusSnapshot = { status: TerminalStatus; rule: string; line: string; at: number };

type TerminalState = {
	provider: Provider;
	profile: string | null;
	/** The first bytes of the turn, kept once the turn outgrew the buffer; else empty. */
	head: string;
	headBytes: number;
	/** The newest bytes; with the head and a line break, never more than `bufferLimit` when read. */
	buffer: ByteRing;
	status: TerminalStatus;
	rule: string;
	line: string;
	at: number;
	/** Input was sent and no ready status has come since: the latch is open. */
	afterInput: boolean;
	quietTimer: NodeJS.Timeout | undefined;
	lastDetectAt: number;
	/** The provider's detect threw, and that was reported: report the next failure only after a success. */
	detectFailing: boolean;
};

export type StatusMonitorOptions = {
	bus: EventBus;
	now?: () => number;
	quietWindowMs?: number;
};

/**
 * A copy of `text` that holds nothing else alive. A line that detection found is a slice of the
 * whole normalized buffer, and V8 keeps the whole of it alive as long as the slice lives.
 */
const detached = (text: string): string => Buffer.from(text).toString('utf8');

/** The start of `text`, at most `limit` UTF-8 bytes and whole characters, as a copy. */
const leadingBytes = (text: string, limit: number): string =>
	new StringDecoder('utf8').write(Buffer.from(text.slice(0, limit)).subarray(0, limit));

/**
 * Whether `next` may replace `current`. A ready status is latched: repaint noise cannot turn it
 * back into processing or unknown until new input is sent, and completed does not fall back to
 * idle (the reply is still on screen). Unknown never replaces a known status.
 */
export const acceptTransition = (
	current: TerminalStatus,
	next: TerminalStatus,
	afterInput: boolean,
): boolean => {
	if (next === current || next === 'unknown') return false;
	if (afterInput || !readyStatuses.has(current)) return true;
	if (next === 'processing') return false;
	return !(current === 'completed' && next === 'idle');
};

/**
 * Derives each terminal's status from its output stream. Detection runs on the first chunk after
 * a quiet spell (so a change shows at once) and again once output has been quiet for the quiet
 * window (so the final screen decides "completed"), and at most once a second while output never
 * pauses; never on every chunk. Sending input is a
 * fact of its own: it publishes `processing` at once (rule `cao.input-sent`), so that every turn
 * reads processing → ready, even one that ends in the status it began in.
 */
export const createStatusMonitor = (options: StatusMonitorOptions) => {
	const { bus } = options;
	const now = options.now ?? Date.now;
	const quietMs = options.quietWindowMs ?? quietWindowMs;
	const terminals = new Map<string, TerminalState>();

	/** Room for the newest bytes beside the head. */
	const room = (state: TerminalState) => (state.head ? bufferLimit - state.headBytes - 1 : bufferLimit);
	const view = (state: TerminalState) => {
		const newest = state.buffer.text(room(state));
		return state.head ? `${state.head}\n${newest}` : newest;
	};

	/** A provider's bug must not stop the engine: it reads as unknown, and is reported once. */
	const detect = (id: string, state: TerminalState): Detection => {
		const context: DetectContext = { afterInput: state.afterInput, profile: state.profile };
		try {
			const detection = state.provider.detect(view(state), context);
			state.detectFailing = false;
			return detection;
		} catch (error) {
			if (!state.detectFailing) {
				state.detectFailing = true;
				bus.emit('engine.warning', {
					message: `${state.provider.name} detection failed for terminal ${id}: ${oneLine(error)}`,
					at: now(),
				});
			}
			return { status: 'unknown', rule: `${state.provider.name}.failed`, line: '' };
		}
	};

	/** The provider's shorter equivalent of the buffer; `fallback` if it fails, which is reported. */
	const compacted = (
		id: string,
		state: TerminalState,
		buffer: string,
		newTurn: boolean,
		fallback: string,
	) => {
		try {
			return state.provider.compact?.(buffer, { newTurn }) ?? fallback;
		} catch (error) {
			bus.emit('engine.warning', {
				message: `${state.provider.name} could not compact the buffer of terminal ${id}: ${oneLine(error)}`,
				at: now(),
			});
			return fallback;
		}
	};

	const publish = (id: string, state: TerminalState, detection: Detection) => {
		const previous = state.status;
		state.status = detection.status;
		state.rule = detection.rule;
		state.line = detached(detection.line);
		state.at = now();
		if (readyStatuses.has(detection.status)) state.afterInput = false;
		bus.emit(terminalTopic(id, 'status'), {
			terminalId: id,
			status: state.status,
			previous,
			rule: state.rule,
			line: state.line,
			at: state.at,
		});
	};

	const detectNow = (id: string, state: TerminalState) => {
		state.lastDetectAt = now();
		const detection = detect(id, state);
		if (acceptTransition(state.status, detection.status, state.afterInput)) publish(id, state, detection);
	};

	/** Detects once output has been quiet for the quiet window (pushed back by each chunk). */
	const armQuietTimer = (id: string, state: TerminalState) => {
		if (state.quietTimer) {
			// Push the quiet deadline back without allocating a new timer.
			state.quietTimer.refresh();
			return;
		}
		state.quietTimer = setTimeout(() => {
			state.quietTimer = undefined;
			if (terminals.get(id) === state) detectNow(id, state);
		}, quietMs);
	};

	const onOutput = (id: string, data: string) => {
		const state = terminals.get(id);
		if (!state) return;
		const { buffer } = state;
		// Once the turn's head is kept, only a provider that compacts cares whether the buffer is full.
		if ((state.provider.compact || !state.head) && !fitsUtf8(data, bufferLimit - buffer.length)) {
			if (state.provider.compact) {
				const combined = buffer.text() + data;
				buffer.reset(compacted(id, state, combined, false, combined));
				data = '';
			}
			// The turn outgrows the buffer: its start is kept aside (read once a turn).
			if (!state.head && !fitsUtf8(data, bufferLimit - buffer.length)) {
				state.head = leadingBytes(
					buffer.oldestText(turnHeadLimit) + data.slice(0, turnHeadLimit),
					turnHeadLimit,
				);
				state.headBytes = Buffer.byteLength(state.head);
			}
		}
		buffer.write(data);
		const streaming = state.quietTimer !== undefined;
		armQuietTimer(id, state);
		if (!streaming || now() - state.lastDetectAt >= streamingDetectMs) detectNow(id, state);
	};

	let unsubscribe: Unsubscribe | undefined;

	const stateOf = (id: string): TerminalState | undefined => terminals.get(id);

	const register = (id: string, provider: Provider, profile: string | null = null) => {
		terminals.set(id, {
			provider,
			profile,
			head: '',
			headBytes: 0,
			buffer: createByteRing(bufferLimit),
			status: 'unknown',
			rule: 'initial',
			line: '',
			at: now(),
			afterInput: false,
			quietTimer: undefined,
			lastDetectAt: 0,
			detectFailing: false,
		});
	};

	return {
		/** Starts listening to `terminal.*.output`. */
		start() {
			unsubscribe ??= bus.on('terminal.*.output', (event) => onOutput(event.terminalId, event.data));
		},
		stop() {
			unsubscribe?.();
			unsubscribe = undefined;
			for (const state of terminals.values()) {
				clearTimeout(state.quietTimer);
				state.quietTimer = undefined;
			}
		},
		register,
		getStatus(id: string): StatusSnapshot | undefined {
			const state = stateOf(id);
			return state && { status: state.status, rule: state.rule, line: state.line, at: state.at };
		},
		/** What detection sees: the turn's head (when kept) and the newest bytes, at most 32 KB. */
		getBuffer(id: string): string | undefined {
			const state = stateOf(id);
			return state && view(state);
		},
		/**
		 * Judges a terminal from its screen as it is now (an adopted terminal that is quiet would
		 * otherwise stay unknown until it draws something).
		 */
		prime(id: string, screen: string) {
			const state = stateOf(id);
			if (!state) return;
			state.buffer.reset(screen);
			detectNow(id, state);
		},
		/**
		 * A new turn starts: empties the buffer, or for a provider that compacts keeps the screen
		 * and marks the turn's start. The status and the latch stay as they are.
		 */
		clearBuffer(id: string) {
			const state = stateOf(id);
			if (!state) return;
			const screen = state.provider.compact ? compacted(id, state, view(state), true, '') : '';
			state.head = '';
			state.headBytes = 0;
			state.buffer.reset(fitsUtf8(screen, bufferLimit) ? screen : '');
		},
		/**
		 * Opens the latch and publishes `processing`: a turn has begun. The quiet timer is armed, so
		 * input that makes no output (a key at an idle prompt) is judged all the same.
		 */
		notifyInputSent(id: string) {
			const state = stateOf(id);
			if (!state) return;
			state.afterInput = true;
			if (state.status !== 'processing')
				publish(id, state, { status: 'processing', rule: inputSentRule, line: '' });
			// publish() closes the latch only for ready statuses; it stays open here.
			armQuietTimer(id, state);
		},
		/** Back to unknown with an empty buffer, as if just registered. */
		reset(id: string) {
			const state = stateOf(id);
			if (!state) return;
			clearTimeout(state.quietTimer);
			register(id, state.provider, state.profile);
		},
		forget(id: string) {
			clearTimeout(stateOf(id)?.quietTimer);
			terminals.delete(id);
		},
	};
};

export type StatusMonitor = ReturnType<typeof createStatusMonitor>;
