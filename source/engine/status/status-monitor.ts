import type { DetectContext, Detection, Provider } from '../../providers/types.js';
import type { EventBus, Unsubscribe } from '../bus.js';
import { terminalTopic } from '../events.js';
import { readyStatuses, type TerminalStatus } from './statuses.js';

export const bufferLimit = 32 * 1024;
/**
 * How much of the start of a turn (since the last input) the buffer keeps once the turn outgrows
 * it: rules like "a reply line, then the prompt" need the reply's first line, which a long reply
 * would otherwise push out.
 */
export const turnHeadLimit = 4 * 1024;
export const quietWindowMs = 200;
/** Least time between detections while a turn has been asked for but not yet seen to start. */
export const turnStartDetectMs = 100;

export type StatusSnapshot = { status: TerminalStatus; rule: string; line: string; at: number };

type TerminalState = {
	provider: Provider;
	profile: string | null;
	/** The first bytes of the turn, kept once the turn outgrew the buffer; else empty. */
	head: string;
	/** The newest bytes; with the head and a line break, never more than `bufferLimit`. */
	buffer: string;
	status: TerminalStatus;
	rule: string;
	line: string;
	at: number;
	/** Input was sent and no ready status has come since: the latch is open. */
	afterInput: boolean;
	quietTimer: NodeJS.Timeout | undefined;
	lastDetectAt: number;
};

export type StatusMonitorOptions = {
	bus: EventBus;
	now?: () => number;
	quietWindowMs?: number;
	turnStartDetectMs?: number;
};

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
 * a quiet spell (so "processing" shows at once) and again once output has been quiet for the
 * quiet window (so the final screen decides "completed"), not on every chunk; only between an
 * input and the first sign of the turn starting does it look at chunks as they come (throttled).
 */
export const createStatusMonitor = (options: StatusMonitorOptions) => {
	const { bus } = options;
	const now = options.now ?? Date.now;
	const quietMs = options.quietWindowMs ?? quietWindowMs;
	const turnStartMs = options.turnStartDetectMs ?? turnStartDetectMs;
	const terminals = new Map<string, TerminalState>();

	const view = (state: TerminalState) => (state.head ? `${state.head}\n${state.buffer}` : state.buffer);

	const detectNow = (id: string, state: TerminalState) => {
		state.lastDetectAt = now();
		const context: DetectContext = { afterInput: state.afterInput, profile: state.profile };
		const detection: Detection = state.provider.detect(view(state), context);
		if (!acceptTransition(state.status, detection.status, state.afterInput)) return;
		const previous = state.status;
		state.status = detection.status;
		state.rule = detection.rule;
		state.line = detection.line;
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

	const onOutput = (id: string, data: string) => {
		const state = terminals.get(id);
		if (!state) return;
		const combined = state.buffer + data;
		if (!state.head && combined.length > bufferLimit) state.head = combined.slice(0, turnHeadLimit);
		const room = state.head ? bufferLimit - state.head.length - 1 : bufferLimit;
		state.buffer = combined.length > room ? combined.slice(-room) : combined;
		if (state.quietTimer) {
			// Still streaming: push the quiet deadline back without allocating a new timer.
			state.quietTimer.refresh();
			// Right after input the first chunk is often only the echo; the spinner follows without a
			// pause, so look again (throttled) until the turn is seen to start.
			const turnPending = state.afterInput && state.status !== 'processing';
			if (turnPending && now() - state.lastDetectAt >= turnStartMs) detectNow(id, state);
			return;
		}
		detectNow(id, state);
		state.quietTimer = setTimeout(() => {
			state.quietTimer = undefined;
			if (terminals.get(id) === state) detectNow(id, state);
		}, quietMs);
	};

	let unsubscribe: Unsubscribe | undefined;

	const stateOf = (id: string): TerminalState | undefined => terminals.get(id);

	const register = (id: string, provider: Provider, profile: string | null = null) => {
		terminals.set(id, {
			provider,
			profile,
			head: '',
			buffer: '',
			status: 'unknown',
			rule: 'initial',
			line: '',
			at: now(),
			afterInput: false,
			quietTimer: undefined,
			lastDetectAt: 0,
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
		/** Empties the buffer (a new turn starts); the status and the latch stay as they are. */
		clearBuffer(id: string) {
			const state = stateOf(id);
			if (!state) return;
			state.head = '';
			state.buffer = '';
		},
		/** Opens the latch: the next turn may go through processing again. */
		notifyInputSent(id: string) {
			const state = stateOf(id);
			if (state) state.afterInput = true;
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
