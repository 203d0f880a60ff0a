import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../source/engine/bus.js';
import { createInboxService, type InboxReceivers } from '../../../source/engine/inbox/inbox-service.js';
import type { TerminalStatus } from '../../../source/engine/status/statuses.js';
import { type Db, openDatabase } from '../../../source/engine/store/database.js';
import { createInboxRepository } from '../../../source/engine/store/inbox-repository.js';
import { TerminalNotFoundError } from '../../../source/errors.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The inbox's rules on a real SQLite file, with receivers whose status the test sets. */
describe('inbox delivery rules', () => {
	let folder: string;
	let db: Db;
	let status: TerminalStatus;
	let queues: boolean;
	let pasted: string[];
	let failPaste: Error | undefined;
	const receivers: InboxReceivers = {
		statusOf: () => status,
		acceptsInputWhileProcessing: () => queues,
		deliver: async (_id, text) => {
			if (failPaste) throw failPaste;
			pasted.push(text);
		},
	};
	const service = (options: { eager?: boolean; sweepMs?: number } = {}) => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const inbox = createInboxService({ bus, inbox: createInboxRepository(db), receivers, ...options });
		inbox.start();
		return inbox;
	};

	beforeEach(() => {
		folder = mkdtempSync(join(tmpdir(), 'cao-inbox-'));
		db = openDatabase(join(folder, 'cao.db'));
		status = 'idle';
		queues = false;
		pasted = [];
		failPaste = undefined;
	});
	afterEach(() => {
		db.close();
		rmSync(folder, { recursive: true, force: true });
	});

	it('re-offers messages that waited longer than the sweep interval (no status event came)', async () => {
		status = 'processing';
		const inbox = service({ sweepMs: 100 });
		inbox.send('aaaa0001', 'bbbb0002', 'hello');
		await inbox.offer('bbbb0002');
		expect(pasted).toEqual([]);
		// Ready now, but the monitor has nothing new to say: only the sweep delivers.
		status = 'idle';
		await waitFor(() => pasted.length === 1, { what: 'the sweep' });
		await inbox.stop();
	});

	it('delivers while the receiver works only when eager and its CLI queues input', async () => {
		status = 'processing';
		const lazy = service();
		lazy.send('aaaa0001', 'bbbb0002', 'one');
		await lazy.offer('bbbb0002');
		expect(pasted).toEqual([]);
		await lazy.stop();
		const eagerButNoQueue = service({ eager: true });
		await eagerButNoQueue.offer('bbbb0002');
		expect(pasted).toEqual([]);
		await eagerButNoQueue.stop();
		queues = true;
		const eager = service({ eager: true });
		await eager.offer('bbbb0002');
		expect(pasted).toHaveLength(1);
		await eager.stop();
	});

	it('marks a batch failed, with the reason, when its paste fails; keeps it when the receiver is gone', async () => {
		const inbox = service();
		status = 'processing';
		inbox.send('aaaa0001', 'bbbb0002', 'first');
		status = 'idle';
		failPaste = new Error('tmux: pane is dead\nmore detail');
		await inbox.offer('bbbb0002');
		expect(inbox.list('bbbb0002', 'failed')).toEqual([
			expect.objectContaining({ body: 'first', error: 'tmux: pane is dead', deliveredAt: null }),
		]);
		status = 'processing';
		inbox.send('aaaa0001', 'bbbb0002', 'second');
		status = 'idle';
		failPaste = new TerminalNotFoundError('bbbb0002');
		await inbox.offer('bbbb0002');
		expect(inbox.list('bbbb0002', 'pending').map((message) => message.body)).toEqual(['second']);
		await inbox.stop();
	});
});
