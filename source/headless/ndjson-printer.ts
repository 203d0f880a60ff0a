import type { EventBus, Unsubscribe } from '../engine/bus.js';

/**
 * Prints every bus event except raw output chunks as one JSON object per line:
 * `{"topic":"terminal.ab12cd34.status","terminalId":…,"status":"idle",…}`.
 */
export const printEvents = (bus: EventBus, write: (line: string) => void): Unsubscribe =>
	bus.onAny((topic, payload) => {
		if (topic.endsWith('.output')) return;
		write(`${JSON.stringify({ topic, ...payload })}\n`);
	});
