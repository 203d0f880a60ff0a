import type { Db } from './database.js';

/** `sending`: a delivery begun and not ended (an engine killed meanwhile finishes it at start). */
export const messageStatuses = ['pending', 'sending', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

export type InboxMessage = {
	id: number;
	senderId: string;
	receiverId: string;
	body: string;
	status: MessageStatus;
	createdAt: number;
	deliveredAt: number | null;
	error: string | null;
};

type Row = {
	id: number;
	sender_id: string;
	receiver_id: string;
	body: string;
	status: MessageStatus;
	created_at: number;
	delivered_at: number | null;
	error: string | null;
};

const fromRow = (row: Row): InboxMessage => ({
	id: row.id,
	senderId: row.sender_id,
	receiverId: row.receiver_id,
	body: row.body,
	status: row.status,
	createdAt: row.created_at,
	deliveredAt: row.delivered_at,
	error: row.error,
});

export type InboxRepository = ReturnType<typeof createInboxRepository>;

export const createInboxRepository = (db: Db) => {
	const insert = db.prepare(
		`INSERT INTO inbox_messages (sender_id, receiver_id, body, status, created_at)
		VALUES (?, ?, ?, 'pending', ?)`,
	);
	const byId = db.prepare('SELECT * FROM inbox_messages WHERE id = ?');
	const forReceiver = db.prepare(
		'SELECT * FROM inbox_messages WHERE receiver_id = ? AND status = ? ORDER BY id',
	);
	const markSending = db.prepare(
		`UPDATE inbox_messages SET status = 'sending' WHERE id = ? AND status = 'pending'`,
	);
	const markDelivered = db.prepare(
		`UPDATE inbox_messages SET status = 'delivered', delivered_at = ?
		WHERE id = ? AND status = 'sending'`,
	);
	const markFailed = db.prepare(
		`UPDATE inbox_messages SET status = 'failed', error = ?, delivered_at = NULL
		WHERE id = ? AND status IN ('pending', 'sending')`,
	);
	const markPending = db.prepare(
		`UPDATE inbox_messages SET status = 'pending' WHERE id = ? AND status = 'sending'`,
	);
	const staleReceivers = db.prepare(
		`SELECT DISTINCT receiver_id FROM inbox_messages WHERE status = 'pending' AND created_at <= ?`,
	);
	const sendingReceivers = db.prepare(
		`SELECT DISTINCT receiver_id FROM inbox_messages WHERE status = 'sending'`,
	);

	return {
		enqueue(senderId: string, receiverId: string, body: string, at: number): InboxMessage {
			const { lastInsertRowid } = insert.run(senderId, receiverId, body, at);
			return fromRow(byId.get(lastInsertRowid) as Row);
		},
		list(receiverId: string, status: MessageStatus): InboxMessage[] {
			return (forReceiver.all(receiverId, status) as Row[]).map(fromRow);
		},
		/** Marks pending messages as being sent, in one transaction; returns those it changed. */
		markSending: db.transaction((ids: readonly number[]): number[] =>
			ids.filter((id) => markSending.run(id).changes === 1),
		),
		/** Messages being sent that reached their receiver. */
		markDelivered: db.transaction((ids: readonly number[], at: number): void => {
			for (const id of ids) markDelivered.run(at, id);
		}),
		/** A message that could not be delivered (its paste failed), with the reason. */
		markFailed: db.transaction((ids: readonly number[], error: string): void => {
			for (const id of ids) markFailed.run(error, id);
		}),
		/** Takes back a delivery that never reached its receiver (it went away meanwhile). */
		markPending: db.transaction((ids: readonly number[]): void => {
			for (const id of ids) markPending.run(id);
		}),
		/** Receivers of deliveries begun and not ended (by an engine killed meanwhile). */
		sendingReceivers(): string[] {
			return (sendingReceivers.all() as { receiver_id: string }[]).map((row) => row.receiver_id);
		},
		/** Receivers with messages pending since `before` or earlier. */
		staleReceivers(before: number): string[] {
			return (staleReceivers.all(before) as { receiver_id: string }[]).map((row) => row.receiver_id);
		},
	};
};
