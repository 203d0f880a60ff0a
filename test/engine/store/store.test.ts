import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase, schemaVersion } from '../../../source/engine/store/database.js';
import { createInboxRepository } from '../../../source/engine/store/inbox-repository.js';
import {
	createTerminalRepository,
	type TerminalRecord,
} from '../../../source/engine/store/terminal-repository.js';

let dir: string;
let file: string;
let open: Db[];

const connect = (path = file): Db => {
	const db = openDatabase(path);
	open.push(db);
	return db;
};

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'cao-store-'));
	file = join(dir, 'nested', 'cao.db');
	open = [];
});

afterEach(() => {
	for (const db of open) if (db.open) db.close();
	rmSync(dir, { recursive: true, force: true });
});

const terminal = (id: string, overrides: Partial<Omit<TerminalRecord, 'exitedAt'>> = {}) => ({
	id,
	session: 'cao-work',
	window: `win-${id}`,
	provider: 'fake',
	profile: null,
	workingDirectory: '/tmp/work',
	callerId: null,
	createdAt: 1_000,
	lastActiveAt: 1_000,
	lastStatus: 'unknown' as const,
	...overrides,
});

describe('openDatabase', () => {
	it('creates the folder, turns WAL on and records the schema version', () => {
		const db = connect();
		expect(existsSync(file)).toBe(true);
		expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
		expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
		expect(schemaVersion).toBeGreaterThanOrEqual(1);
		expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
		expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
		const tables = db
			.prepare(
				"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
			)
			.pluck()
			.all();
		expect(tables).toEqual(['flows', 'inbox_messages', 'session_env', 'terminals']);
	});

	it('reopening does not run the migrations again and keeps the data', () => {
		const first = connect();
		createTerminalRepository(first).insert(terminal('a1b2c3d4'));
		first.close();

		// A migration run again would fail on CREATE TABLE (the tables exist) before we got here.
		const second = connect();
		expect(second.pragma('user_version', { simple: true })).toBe(schemaVersion);
		expect(createTerminalRepository(second).get('a1b2c3d4')?.id).toBe('a1b2c3d4');
		second.close();
		expect(() => connect().close()).not.toThrow();
	});

	it("making the inbox table again (for 'sending') keeps its messages, and no id is used twice", () => {
		const db = connect();
		const inbox = createInboxRepository(db);
		const kept = inbox.enqueue('a1b2c3d4', 'ffff0000', 'kept', 1);
		const removed = inbox.enqueue('a1b2c3d4', 'ffff0000', 'removed', 2);
		db.prepare('DELETE FROM inbox_messages WHERE id = ?').run(removed.id);
		// As a database made before that migration: it runs again on the next open.
		db.pragma(`user_version = ${schemaVersion - 1}`);
		db.close();
		const reopened = createInboxRepository(connect());
		expect(reopened.list('ffff0000', 'pending')).toEqual([kept]);
		expect(reopened.enqueue('a1b2c3d4', 'ffff0000', 'next', 3).id).toBe(removed.id + 1);
	});

	it('refuses a database from a newer cao-tui', () => {
		const db = connect();
		db.pragma(`user_version = ${schemaVersion + 1}`);
		db.close();
		expect(() => connect()).toThrow(/newer than this cao-tui/);
	});
});

describe('terminal repository', () => {
	it('inserts and gets a record with every field', () => {
		const terminals = createTerminalRepository(connect());
		const record = terminal('a1b2c3d4', { profile: 'reviewer', callerId: 'ffff0000', lastStatus: 'idle' });
		terminals.insert(record);
		expect(terminals.get('a1b2c3d4')).toEqual({ ...record, exitedAt: null });
		expect(terminals.get('00000000')).toBeUndefined();
	});

	it('rejects a duplicate id', () => {
		const terminals = createTerminalRepository(connect());
		terminals.insert(terminal('a1b2c3d4'));
		expect(() => terminals.insert(terminal('a1b2c3d4'))).toThrow(/UNIQUE|PRIMARY KEY/i);
	});

	it('lists live terminals oldest first, and by session', () => {
		const terminals = createTerminalRepository(connect());
		terminals.insert(terminal('00000003', { createdAt: 3 }));
		terminals.insert(terminal('00000001', { createdAt: 1, session: 'cao-other' }));
		terminals.insert(terminal('00000002', { createdAt: 2 }));
		expect(terminals.listLive().map((record) => record.id)).toEqual(['00000001', '00000002', '00000003']);
		expect(terminals.listBySession('cao-work').map((record) => record.id)).toEqual(['00000002', '00000003']);
		expect(terminals.listBySession('cao-none')).toEqual([]);
	});

	it('setStatuses updates the statuses and the last activity; touch only the activity', () => {
		const terminals = createTerminalRepository(connect());
		terminals.insert(terminal('a1b2c3d4'));
		terminals.insert(terminal('00000001'));
		terminals.setStatuses(
			new Map([
				['a1b2c3d4', { status: 'completed', at: 2_000 }],
				['00000001', { status: 'idle', at: 2_500 }],
			]),
		);
		expect(terminals.get('00000001')).toMatchObject({ lastStatus: 'idle', lastActiveAt: 2_500 });
		expect(terminals.get('a1b2c3d4')).toMatchObject({ lastStatus: 'completed', lastActiveAt: 2_000 });
		terminals.touch('a1b2c3d4', 3_000);
		expect(terminals.get('a1b2c3d4')).toMatchObject({ lastStatus: 'completed', lastActiveAt: 3_000 });
		expect(terminals.get('a1b2c3d4')?.createdAt).toBe(1_000);
	});

	it('markExited takes the terminal out of the live lists and keeps the first exit time', () => {
		const terminals = createTerminalRepository(connect());
		terminals.insert(terminal('a1b2c3d4'));
		terminals.insert(terminal('ffff0000', { createdAt: 2_000 }));
		terminals.markExited('a1b2c3d4', 5_000);
		terminals.markExited('a1b2c3d4', 9_000);
		expect(terminals.get('a1b2c3d4')?.exitedAt).toBe(5_000);
		expect(terminals.listLive().map((record) => record.id)).toEqual(['ffff0000']);
		expect(terminals.listBySession('cao-work').map((record) => record.id)).toEqual(['ffff0000']);
	});

	it('remove deletes the record and leaves the others', () => {
		const terminals = createTerminalRepository(connect());
		terminals.insert(terminal('a1b2c3d4'));
		terminals.insert(terminal('ffff0000'));
		terminals.remove('a1b2c3d4');
		expect(terminals.get('a1b2c3d4')).toBeUndefined();
		expect(terminals.get('ffff0000')).toBeDefined();
		expect(() => terminals.remove('a1b2c3d4')).not.toThrow();
	});
});

describe('inbox repository', () => {
	it('enqueue returns the stored pending message', () => {
		const inbox = createInboxRepository(connect());
		const message = inbox.enqueue('a1b2c3d4', 'ffff0000', 'hello\nworld', 1_000);
		expect(message).toEqual({
			id: expect.any(Number),
			senderId: 'a1b2c3d4',
			receiverId: 'ffff0000',
			body: 'hello\nworld',
			status: 'pending',
			createdAt: 1_000,
			deliveredAt: null,
			error: null,
		});
	});

	it('lists by receiver and status, oldest first', () => {
		const inbox = createInboxRepository(connect());
		const first = inbox.enqueue('a1b2c3d4', 'ffff0000', 'one', 1);
		inbox.enqueue('a1b2c3d4', '00000000', 'elsewhere', 2);
		const second = inbox.enqueue('00000000', 'ffff0000', 'two', 3);
		expect(inbox.list('ffff0000', 'pending').map((message) => message.body)).toEqual(['one', 'two']);
		expect(inbox.list('ffff0000', 'delivered')).toEqual([]);
		expect(second.id).toBeGreaterThan(first.id);
	});

	it('markSending takes only pending messages and returns the ids it changed; markDelivered ends them', () => {
		const inbox = createInboxRepository(connect());
		const one = inbox.enqueue('a1b2c3d4', 'ffff0000', 'one', 1);
		const two = inbox.enqueue('a1b2c3d4', 'ffff0000', 'two', 2);
		const three = inbox.enqueue('a1b2c3d4', 'ffff0000', 'three', 3);
		inbox.markFailed([three.id], 'pane gone');

		expect(inbox.markSending([one.id, three.id, 99_999])).toEqual([one.id]);
		expect(inbox.markSending([one.id])).toEqual([]);
		expect(inbox.markSending([])).toEqual([]);
		expect(inbox.list('ffff0000', 'sending')).toEqual([{ ...one, status: 'sending' }]);
		expect(inbox.sendingReceivers()).toEqual(['ffff0000']);
		// Only a message being sent can be delivered.
		inbox.markDelivered([one.id, two.id], 10);

		expect(inbox.list('ffff0000', 'delivered')).toEqual([{ ...one, status: 'delivered', deliveredAt: 10 }]);
		expect(inbox.list('ffff0000', 'pending')).toEqual([two]);
		expect(inbox.list('ffff0000', 'failed')).toEqual([{ ...three, status: 'failed', error: 'pane gone' }]);
		expect(inbox.sendingReceivers()).toEqual([]);
	});

	it('markFailed records the error', () => {
		const inbox = createInboxRepository(connect());
		const message = inbox.enqueue('a1b2c3d4', 'ffff0000', 'one', 1);
		inbox.markFailed([message.id], 'receiver exited');
		expect(inbox.list('ffff0000', 'pending')).toEqual([]);
		expect(inbox.list('ffff0000', 'failed')).toEqual([
			{ ...message, status: 'failed', error: 'receiver exited' },
		]);
	});

	it('markFailed also ends a delivery whose paste failed; staleReceivers finds old pending', () => {
		const inbox = createInboxRepository(connect());
		const one = inbox.enqueue('a1b2c3d4', 'ffff0000', 'one', 1);
		inbox.enqueue('a1b2c3d4', '00000000', 'two', 50);
		inbox.markSending([one.id]);
		inbox.markFailed([one.id], 'paste failed');
		expect(inbox.list('ffff0000', 'failed')).toEqual([
			{ ...one, status: 'failed', deliveredAt: null, error: 'paste failed' },
		]);
		inbox.enqueue('a1b2c3d4', 'ffff0000', 'three', 5);
		expect(inbox.staleReceivers(10)).toEqual(['ffff0000']);
		expect(inbox.staleReceivers(60).sort()).toEqual(['00000000', 'ffff0000']);
	});

	it('rejects a status outside the allowed set', () => {
		const db = connect();
		const message = createInboxRepository(db).enqueue('a1b2c3d4', 'ffff0000', 'one', 1);
		expect(() =>
			db.prepare("UPDATE inbox_messages SET status = 'lost' WHERE id = ?").run(message.id),
		).toThrow(/CHECK/);
	});
});

describe('two connections to one file', () => {
	it('see each other’s writes', () => {
		const a = connect();
		const b = connect();
		createTerminalRepository(a).insert(terminal('a1b2c3d4'));
		expect(createTerminalRepository(b).get('a1b2c3d4')?.id).toBe('a1b2c3d4');

		const message = createInboxRepository(b).enqueue('a1b2c3d4', 'ffff0000', 'from b', 1);
		expect(createInboxRepository(a).list('ffff0000', 'pending')).toEqual([message]);

		createTerminalRepository(b).setStatuses(new Map([['a1b2c3d4', { status: 'idle', at: 5 }]]));
		expect(createTerminalRepository(a).get('a1b2c3d4')?.lastStatus).toBe('idle');
	});

	it('deliver a message once only, whichever connection marks it being sent first', () => {
		const a = createInboxRepository(connect());
		const b = createInboxRepository(connect());
		const message = a.enqueue('a1b2c3d4', 'ffff0000', 'once', 1);
		expect(b.markSending([message.id])).toEqual([message.id]);
		expect(a.markSending([message.id])).toEqual([]);
		expect(a.list('ffff0000', 'sending')).toHaveLength(1);
	});
});
