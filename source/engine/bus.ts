import mittModule, { type Emitter } from 'mitt';
import type { EventMap, Topic } from './events.js';

// mitt's typings are CommonJS-shaped while Node loads its ESM build, whose default is the factory.
const mitt = mittModule as unknown as typeof mittModule.default;

export type Handler<T extends Topic> = (payload: EventMap[T], topic: T) => void;
export type AnyHandler = (topic: Topic, payload: EventMap[Topic]) => void;
export type Unsubscribe = () => void;
export type BusErrorReporter = (error: unknown, topic: string) => void;

/**
 * The engine's event bus: a typed mitt emitter plus topic patterns in which `*` matches exactly
 * one dot-separated segment (`terminal.*.status`). Publishers never call consumers directly, and
 * a handler that throws is reported and does not stop the handlers after it.
 */
export type EventBus = {
	emit<T extends Topic>(topic: T, payload: EventMap[T]): void;
	/** `pattern` is an exact topic or one with `*` segments. */
	on<T extends Topic>(pattern: T, handler: Handler<T>): Unsubscribe;
	/** Every event, whatever its topic. */
	onAny(handler: AnyHandler): Unsubscribe;
};

type Listener = (payload: unknown, topic: string) => void;

/** Whether `topic` fits `segments`, where a `*` segment stands for any one segment. */
export const topicMatches = (segments: readonly string[], topic: string): boolean => {
	let start = 0;
	for (let index = 0; index < segments.length; index++) {
		const last = index === segments.length - 1;
		const end = topic.indexOf('.', start);
		// The final pattern segment must reach the end of the topic; the others must stop at a dot.
		if (last ? end !== -1 : end === -1) return false;
		const segment = segments[index];
		if (segment !== '*' && topic.slice(start, last ? undefined : end) !== segment) return false;
		start = end + 1;
	}
	return true;
};

export const createEventBus = (reportError: BusErrorReporter): EventBus => {
	const emitter: Emitter<Record<string, unknown>> = mitt();
	// Pattern and any-topic listeners sit behind mitt's one wildcard listener, so an exact-topic
	// subscription stays a map lookup on emit.
	const wildcard = new Map<Listener, readonly string[] | undefined>();

	const guarded =
		(listener: Listener): Listener =>
		(payload, topic) => {
			try {
				listener(payload, topic);
			} catch (error) {
				reportError(error, topic);
			}
		};

	emitter.on('*', (topic, payload) => {
		const name = String(topic);
		// A copy: a listener added by a handler waits for the next event, as mitt's exact ones do.
		for (const [listener, segments] of [...wildcard]) {
			if (!segments || topicMatches(segments, name)) listener(payload, name);
		}
	});

	const addWildcard = (listener: Listener, segments?: readonly string[]): Unsubscribe => {
		const wrapped = guarded(listener);
		wildcard.set(wrapped, segments);
		return () => {
			wildcard.delete(wrapped);
		};
	};

	return {
		emit(topic, payload) {
			emitter.emit(topic, payload);
		},
		on(pattern, handler) {
			const listener = handler as unknown as Listener;
			if (pattern.split('.').includes('*')) return addWildcard(listener, pattern.split('.'));
			const wrapped = guarded(listener);
			const exact = (payload: unknown) => wrapped(payload, pattern);
			emitter.on(pattern, exact);
			return () => emitter.off(pattern, exact);
		},
		onAny(handler) {
			return addWildcard((payload, topic) => handler(topic as Topic, payload as EventMap[Topic]));
		},
	};
};
