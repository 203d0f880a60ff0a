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
	/** Keys sent to submit: one entry per submitted delivery. */
	let submitted: string[];
	let failPaste: Error | undefined;
	/** What the terminal's server holds: staged text, or undefined once pasted. */
	let staged: Map<string, { text: string | undefined }>;
	const receivers: InboxReceivers = {
		statusOf: () => status,
		acceptsInputWhileProcessing: () => queues,
		stage: async (id, text) => {
			if (failPaste) throw failPaste;
			staged.set(id, { text });
		},
		submit: async (id, from = 'staged') => {
			const delivery = staged.get(id);
			if (!delivery) throw new Error(`nothing staged for ${id}`);
			if (from === 'staged' && delivery.text !== undefined) pasted.push(delivery.text);
			staged.delete(id);
			submitted.push(id);
		},
		staged: async () =>
			new Map([...staged].map(([id, { text }]) => [id, text === undefined ? 'pasted' : 'staged'])),
		dropStaged: async (id) => {
			staged.delete(id);
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
		submitted = [];
		staged = new Map();
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

	/** Messages as a killed engine left them: marked `sending`, the server at some step. */
	const leftSending = (receiverId: string, body: string) => {
		const repository = createInboxRepository(db);
		const message = repository.enqueue('aaaa0001', receiverId, body, 1);
		repository.markSending([message.id]);
		return message.id;
	};

	it('recover finishes each delivery from the step it reached, never a step twice', async () => {
		status = 'processing';
		const unpasted = leftSending('cccc0001', 'not pasted');
		staged.set('cccc0001', { text: 'not pasted' });
		const unsubmitted = leftSending('cccc0002', 'pasted');
		staged.set('cccc0002', { text: undefined });
		const unrecorded = leftSending('cccc0003', 'submitted');
		// Staged, but the engine died before marking it: the message is still pending.
		createInboxRepository(db).enqueue('aaaa0001', 'cccc0004', 'never marked', 1);
		staged.set('cccc0004', { text: 'never marked' });

		const bus = createEventBus((error) => {
			throw error;
		});
		const inbox = createInboxService({ bus, inbox: createInboxRepository(db), receivers });
		await inbox.recover();
		expect(pasted).toEqual(['not pasted']);
		expect(submitted.sort()).toEqual(['cccc0001', 'cccc0002']);
		expect(staged.size).toBe(0);
		for (const [receiver, id] of [
			['cccc0001', unpasted],
			['cccc0002', unsubmitted],
			['cccc0003', unrecorded],
		] as const)
			expect(inbox.list(receiver, 'delivered').map((message) => message.id)).toEqual([id]);
		expect(inbox.list('cccc0004', 'pending').map((message) => message.body)).toEqual(['never marked']);
	});

	it('recover gives a receiver that is gone its messages back as pending', async () => {
		status = 'idle';
		const id = leftSending('dddd0001', 'to nobody');
		const inbox = createInboxService({
			bus: createEventBus(() => {}),
			inbox: createInboxRepository(db),
			receivers: { ...receivers, statusOf: () => undefined },
		});
		await inbox.recover();
		expect(inbox.list('dddd0001', 'pending').map((message) => message.id)).toEqual([id]);
		expect(pasted).toEqual([]);
	});
});
