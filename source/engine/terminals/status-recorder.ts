import type { EventBus, Unsubscribe } from '../bus.js';
import type { TerminalStatus } from '../status/statuses.js';
import type { TerminalRepository } from '../store/terminal-repository.js';

/** How long a status change may wait before it is written to the store. */
export const statusWriteMs = 500;

/**
 * Writes each terminal's newest status to the store, all terminals in one transaction every
 * `statusWriteMs`: with 200 busy terminals, a transaction per change was over a hundred commits
 * a second. Live statuses are read from the monitor, so the store's copy (for terminals that have
 * exited, and for a next engine) may lag this long.
 */
export const createStatusRecorder = ({
	bus,
	terminals,
}: {
	bus: EventBus;
	terminals: TerminalRepository;
}) => {
	const pending = new Map<string, { status: TerminalStatus; at: number }>();
	let timer: NodeJS.Timeout | undefined;
	let unsubscribe: Unsubscribe | undefined;

	const flush = () => {
		clearTimeout(timer);
		timer = undefined;
		if (pending.size === 0) return;
		terminals.setStatuses(pending);
		pending.clear();
	};

	return {
		start() {
			unsubscribe ??= bus.on('terminal.*.status', ({ terminalId, status, at }) => {
				pending.set(terminalId, { status, at });
				timer ??= setTimeout(flush, statusWriteMs);
			});
		},
		/** Stops listening and writes what waits. */
		stop() {
			unsubscribe?.();
			unsubscribe = undefined;
			flush();
		},
	};
};
