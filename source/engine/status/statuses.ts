export const terminalStatuses = [
	'unknown',
	'idle',
	'processing',
	'completed',
	'waiting_user_answer',
	'error',
] as const;

export type TerminalStatus = (typeof terminalStatuses)[number];

/** Statuses at which the agent has stopped and waits for someone: the latch holds them. */
export const readyStatuses: ReadonlySet<TerminalStatus> = new Set([
	'idle',
	'completed',
	'waiting_user_answer',
	'error',
]);
