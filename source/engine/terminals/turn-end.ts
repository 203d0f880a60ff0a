import type { TerminalStatus } from '../status/statuses.js';

export type TurnEnd = 'completed' | 'error' | 'waiting_user_answer' | 'exited' | 'timeout';

/** What a terminal tells about its turn: a status, or that it went away. */
export type TurnSignal = { status: TerminalStatus } | 'exited';

/** The signal in an event of the stream (`{ topic, ...payload }`) about terminal `id`, if any. */
export const turnSignalOf = (id: string, event: { topic: string } & Record<string, unknown>) => {
	if (event.topic === `terminal.${id}.exited`) return 'exited';
	if (event.topic === `terminal.${id}.status`) return { status: event.status as TerminalStatus };
	return undefined;
};

/**
 * Sends input and resolves with how the turn ended: completed; an error or a question (the agent
 * needs someone); the terminal gone; or the timeout. With `settledIdleMs`, idle after processing
 * counts as completed once it lasted that long (a CLI whose screen shows no end of turn).
 */
export const runTurn = async (options: {
	/** Starts listening (before the input goes); returns how to stop. */
	follow(onSignal: (signal: TurnSignal) => void): Promise<() => void> | (() => void);
	send(): Promise<void>;
	timeoutMs?: number;
	settledIdleMs?: number;
}): Promise<TurnEnd> => {
	let finish: (end: TurnEnd) => void = () => {};
	const ended = new Promise<TurnEnd>((resolve) => {
		finish = resolve;
	});
	let seenProcessing = false;
	let idleTimer: NodeJS.Timeout | undefined;
	const stop = await options.follow((signal) => {
		if (signal === 'exited') return finish('exited');
		clearTimeout(idleTimer);
		const { status } = signal;
		if (status === 'processing') seenProcessing = true;
		else if (status === 'idle' && seenProcessing && options.settledIdleMs !== undefined)
			idleTimer = setTimeout(() => finish('completed'), options.settledIdleMs);
		else if (status === 'completed' || status === 'error' || status === 'waiting_user_answer') finish(status);
	});
	const timer =
		options.timeoutMs === undefined ? undefined : setTimeout(() => finish('timeout'), options.timeoutMs);
	try {
		await options.send();
		return await ended;
	} finally {
		clearTimeout(timer);
		clearTimeout(idleTimer);
		stop();
	}
};
