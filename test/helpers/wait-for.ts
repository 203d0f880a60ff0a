import type { EventBus } from '../../source/engine/bus.js';
import type { EventMap, Topic } from '../../source/engine/events.js';

/**
 * Waits until `predicate` returns a truthy value, checking every `intervalMs`; fails at the
 * deadline, with `state()` (what was seen last, such as a screen) in the message.
 */
export const waitFor = async <T>(
	predicate: () => T | Promise<T>,
	{
		timeoutMs = 10_000,
		intervalMs = 20,
		what = 'condition',
		state,
	}: { timeoutMs?: number; intervalMs?: number; what?: string; state?: () => string } = {},
): Promise<NonNullable<T>> => {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await predicate();
			if (value) return value as NonNullable<T>;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}${state ? `\nlast seen:\n${state()}` : ''}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
};

/** The next event on `topic` (a pattern may be used) that satisfies `accept`. */
export const nextEvent = <T extends Topic>(
	bus: EventBus,
	topic: T,
	accept: (payload: EventMap[T]) => boolean = () => true,
	timeoutMs = 10_000,
): Promise<EventMap[T]> =>
	new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			off();
			reject(new Error(`timed out after ${timeoutMs} ms waiting for ${topic}`));
		}, timeoutMs);
		const off = bus.on(topic, (payload) => {
			if (!accept(payload)) return;
			clearTimeout(timer);
			off();
			resolve(payload);
		});
	});
