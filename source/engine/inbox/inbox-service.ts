import { oneLine, TerminalNotFoundError, ValidationError } from '../../errors.js';
import type { EventBus } from '../bus.js';
import { inboxTopic } from '../events.js';
import type { StagedStep } from '../backends/types.js';
import { crashPoint } from '../crash-points.js';
import type { TerminalStatus } from '../status/statuses.js';
import type { InboxMessage, InboxRepository } from '../store/inbox-repository.js';
import { assertName } from '../../names.js';

/** What the inbox needs of the terminals it delivers to. */
export type InboxReceivers = {
	/** The receiver's status, or undefined when it is not a live terminal (it keeps its messages). */
	statusOf(terminalId: string): TerminalStatus | undefined;
	/** Whether the receiver's CLI queues input typed while it works. */
	acceptsInputWhileProcessing(terminalId: string): boolean;
	/** Keeps the text where the terminal lives, ready to paste (see TerminalBackend.stage). */
	stage(terminalId: string, text: string): Promise<void>;
	/** Pastes what is staged (unless `from` says it was) and submits it. */
	submit(terminalId: string, from?: StagedStep): Promise<void>;
	/** Deliveries begun and not ended, by receiver: how far each got. */
	staged(): Promise<Map<string, StagedStep>>;
	/** Forgets a staged delivery whose messages were never marked as being sent. */
	dropStaged(terminalId: string): Promise<void>;
};

export type InboxServiceOptions = {
	bus: EventBus;
	inbox: InboxRepository;
	receivers: InboxReceivers;
	/** CAO_EAGER_INBOX_DELIVERY=true: deliver while the receiver works, where its CLI queues input. */
	eager?: boolean;
	/** How often to re-offer messages pending for longer than that (30 s). */
	sweepMs?: number;
	now?: () => number;
};

/** A message body, as agents and scripts send them (the paste limit is 1 MB for a whole batch). */
export const messageLimit = 64 * 1024;
/** One paste carries at most this much; the rest waits for the next ready status. */
const batchLimit = 256 * 1024;

/** The line after a batch, so the receiver knows whom to answer and how. */
export const attribution = (senderId: string) =>
	`[Message from terminal ${senderId}. Use send_message to reply.]`;

const readyToTake = new Set<TerminalStatus>(['idle', 'completed']);

/** The oldest pending messages of one sender, in a run, within the paste limit. */
const nextBatch = (pending: readonly InboxMessage[]): InboxMessage[] => {
	const [first] = pending;
	if (!first) return [];
	const batch: InboxMessage[] = [];
	let size = 0;
	for (const message of pending) {
		if (message.senderId !== first.senderId) break;
		if (batch.length > 0 && size + message.body.length > batchLimit) break;
		batch.push(message);
		size += message.body.length;
	}
	return batch;
};

/**
 * Messages between agents, delivered only when the receiver can take them: at its idle or
 * completed status, oldest first. Deliveries to one receiver run one after another.
 *
 * A delivery is resumable, so that `kill -9` at any moment neither loses nor repeats a message:
 * the batch's text is staged in the terminal's server, the messages are marked `sending` (one
 * transaction), the text is pasted and submitted, and they are marked `delivered`. At start,
 * `recover` finishes each delivery from the step the server says it reached. Being `sending`,
 * the messages are not offered again by the paste's own screen change (which may read as idle).
 */
export const createInboxService = (options: InboxServiceOptions) => {
	const { bus, inbox, receivers } = options;
	const now = options.now ?? Date.now;
	const sweepMs = options.sweepMs ?? 30_000;
	/** Per receiver, the delivery running now: the next offer waits for it. */
	const running = new Map<string, Promise<void>>();
	let sweeper: NodeJS.Timeout | undefined;
	let unsubscribe: (() => void) | undefined;

	/** A delivery that could not be made: failed with the reason, or pending again for a receiver gone. */
	const fail = (receiverId: string, batch: readonly InboxMessage[], error: unknown) => {
		const ids = batch.map((message) => message.id);
		// A receiver that went away keeps its messages for when it is back.
		if (error instanceof TerminalNotFoundError) return inbox.markPending(ids);
		inbox.markFailed(ids, oneLine(error));
		bus.emit(inboxTopic(receiverId, 'failed'), {
			messageIds: ids,
			senderId: batch[0]?.senderId ?? '',
			receiverId,
			error: oneLine(error),
			at: now(),
		});
	};

	/** Submits a delivery begun (from the step it reached) and records how it ended. */
	const finish = async (
		receiverId: string,
		batch: readonly InboxMessage[],
		from: StagedStep | 'submitted',
	) => {
		const [first] = batch;
		if (!first) return;
		try {
			if (from !== 'submitted') await receivers.submit(receiverId, from);
			crashPoint('inbox.submitted');
			const ids = batch.map((message) => message.id);
			inbox.markDelivered(ids, now());
			bus.emit(inboxTopic(receiverId, 'delivered'), {
				messageIds: ids,
				senderId: first.senderId,
				receiverId,
				at: now(),
			});
		} catch (error) {
			fail(receiverId, batch, error);
		}
	};

	const deliverNext = async (receiverId: string): Promise<void> => {
		const status = receivers.statusOf(receiverId);
		if (status === undefined) return;
		const eager =
			options.eager === true && status === 'processing' && receivers.acceptsInputWhileProcessing(receiverId);
		if (!readyToTake.has(status) && !eager) return;
		const batch = nextBatch(inbox.list(receiverId, 'pending'));
		const [first] = batch;
		if (!first) return;
		const text = `${batch.map((message) => message.body).join('\n\n')}\n\n${attribution(first.senderId)}`;
		try {
			await receivers.stage(receiverId, text);
		} catch (error) {
			return fail(receiverId, batch, error);
		}
		crashPoint('inbox.staged');
		const ids = new Set(inbox.markSending(batch.map((message) => message.id)));
		crashPoint('inbox.marked');
		await finish(
			receiverId,
			batch.filter((message) => ids.has(message.id)),
			'staged',
		);
	};

	/** Tries to deliver to `receiverId` now, after any delivery to it that is running. */
	const offer = (receiverId: string): Promise<void> => {
		const previous = running.get(receiverId) ?? Promise.resolve();
		const next = previous.then(() => deliverNext(receiverId));
		running.set(receiverId, next);
		void next.finally(() => {
			if (running.get(receiverId) === next) running.delete(receiverId);
		});
		return next;
	};

	const offerStale = (age: number) => {
		for (const receiverId of inbox.staleReceivers(now() - age)) void offer(receiverId);
	};

	return {
		/** Stores the message pending and tries to deliver it at once. */
		send(senderId: string, receiverId: string, body: string): InboxMessage {
			assertName('sender', senderId);
			if (senderId === receiverId) throw new ValidationError('a terminal cannot send a message to itself');
			if (receivers.statusOf(receiverId) === undefined) throw new TerminalNotFoundError(receiverId);
			if (!body.trim()) throw new ValidationError('the message is empty');
			if (body.includes('\0')) throw new ValidationError('the message is binary (it holds NUL bytes)');
			if (Buffer.byteLength(body) > messageLimit)
				throw new ValidationError(`the message is larger than ${messageLimit / 1024} KB`);
			const message = inbox.enqueue(senderId, receiverId, body, now());
			bus.emit(inboxTopic(receiverId, 'queued'), {
				messageId: message.id,
				senderId,
				receiverId,
				at: message.createdAt,
			});
			void offer(receiverId);
			return message;
		},
		list: inbox.list,
		offer,
		/**
		 * Finishes the deliveries a killed engine left begun, from the step each reached, and
		 * forgets text staged for messages never marked as being sent (they are still pending).
		 * Run at start, before `start`.
		 */
		async recover() {
			const staged = await receivers.staged();
			for (const receiverId of inbox.sendingReceivers()) {
				const batch = inbox.list(receiverId, 'sending');
				const step = staged.get(receiverId);
				staged.delete(receiverId);
				if (receivers.statusOf(receiverId) === undefined)
					inbox.markPending(batch.map((message) => message.id));
				// Neither buffer is left: the keys were sent; only the record was missing.
				else if (!step) await finish(receiverId, batch, 'submitted');
				else await finish(receiverId, batch, step);
			}
			for (const receiverId of staged.keys()) await receivers.dropStaged(receiverId);
		},
		/** Delivers at each ready status, re-offers old pending messages, and offers what is pending now. */
		start() {
			unsubscribe ??= bus.on('terminal.*.status', ({ terminalId, status }) => {
				if (readyToTake.has(status) || (options.eager && status === 'processing')) void offer(terminalId);
			});
			sweeper ??= setInterval(() => offerStale(sweepMs), sweepMs);
			sweeper.unref();
			offerStale(0);
		},
		/** Stops offering; resolves once the deliveries running now are done. */
		async stop() {
			unsubscribe?.();
			unsubscribe = undefined;
			clearInterval(sweeper);
			sweeper = undefined;
			await Promise.allSettled([...running.values()]);
		},
	};
};

export type InboxService = ReturnType<typeof createInboxService>;
