import { afterEach, expect, it } from 'vitest';
import type { EventMap } from '../../../source/engine/events.js';
import { attribution, messageLimit } from '../../../source/engine/inbox/inbox-service.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { describeEachBackend } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';

type Delivered = EventMap['inbox.x.delivered'];

describeEachBackend('inbox, with fake agents', (backend) => {
	let t: TestEngine;
	afterEach(async () => {
		await t.dispose();
	});

	const delivered = (receiverId: string) =>
		t.events.filter((event) => event.topic === `inbox.${receiverId}.delivered`) as unknown as Delivered[];
	const completedTurns = (id: string) => t.statuses(id).filter((status) => status === 'completed').length;
	const lastReply = (id: string) => t.engine.terminals.getOutput(id, 'last');

	it('delivers to an idle agent at once, with the sender named, and marks it delivered', async () => {
		t = await startTestEngine({ backend });
		const receiver = await t.engine.terminals.create({ provider: 'fake' });
		const message = t.engine.inbox.send('a1b2c3d4', receiver.id, 'please review notes.md');
		await waitFor(() => completedTurns(receiver.id) === 1, { what: 'the message turn' });
		expect(await lastReply(receiver.id)).toBe(`Echo: please review notes.md ${attribution('a1b2c3d4')}`);
		expect(t.engine.inbox.list(receiver.id, 'delivered').map((m) => m.id)).toEqual([message.id]);
		expect(t.statuses(receiver.id)).toEqual(['idle', 'processing', 'completed']);
	});

	it('holds 100 messages while the receiver works, then delivers each once, in order', async () => {
		t = await startTestEngine({ backend, env: { FAKE_AGENT_THINK_MS: '1500' } });
		const receiver = await t.engine.terminals.create({ provider: 'fake' });
		await t.engine.terminals.sendInput(receiver.id, 'a long task');
		const bodies = Array.from({ length: 100 }, (_, index) => `m${String(index).padStart(3, '0')}`);
		for (const [index, body] of bodies.entries())
			t.engine.inbox.send(index < 98 ? 'aaaa0001' : 'bbbb0002', receiver.id, body);
		// Still working on its task: nothing delivered yet.
		expect(t.engine.inbox.list(receiver.id, 'pending')).toHaveLength(100);
		expect(delivered(receiver.id)).toEqual([]);

		// The task's turn, then one paste per run of one sender: 98 from the first, 2 from the second.
		await waitFor(() => completedTurns(receiver.id) === 3, { what: 'three turns', timeoutMs: 20_000 });
		expect(delivered(receiver.id).map((event) => [event.senderId, event.messageIds.length])).toEqual([
			['aaaa0001', 98],
			['bbbb0002', 2],
		]);
		const ids = delivered(receiver.id).flatMap((event) => event.messageIds);
		expect(ids).toEqual(t.engine.inbox.list(receiver.id, 'delivered').map((message) => message.id));
		expect(new Set(ids).size).toBe(100);
		expect(await lastReply(receiver.id)).toBe(`Echo: m098 m099 ${attribution('bbbb0002')}`);
		const screen = await t.engine.terminals.getOutput(receiver.id, 'full');
		expect(screen).toContain(`Echo: ${bodies.slice(0, 98).join(' ')} ${attribution('aaaa0001')}`);

		// Its own turns' screens read idle and completed again: nothing more is pasted.
		await t.engine.terminals.sendInput(receiver.id, 'done?');
		await waitFor(() => completedTurns(receiver.id) === 4, { what: 'a fourth turn' });
		expect(delivered(receiver.id)).toHaveLength(2);
		expect(t.engine.inbox.list(receiver.id, 'pending')).toEqual([]);
	}, 60_000);

	it('keeps messages pending for a receiver that went away', async () => {
		t = await startTestEngine({ backend, env: { FAKE_AGENT_THINK_MS: '1500' } });
		const receiver = await t.engine.terminals.create({ provider: 'fake' });
		await t.engine.terminals.sendInput(receiver.id, 'working');
		t.engine.inbox.send('aaaa0001', receiver.id, 'for later');
		await t.engine.terminals.remove(receiver.id);
		await t.engine.inbox.offer(receiver.id);
		expect(t.engine.inbox.list(receiver.id, 'pending').map((message) => message.body)).toEqual(['for later']);
	});

	it('refuses bad messages with one clear line, and stores none', async () => {
		t = await startTestEngine({ backend });
		const receiver = await t.engine.terminals.create({ provider: 'fake' });
		const cases: [string, string, string, string][] = [
			[receiver.id, receiver.id, 'hi', 'a terminal cannot send a message to itself'],
			['aaaa0001', 'ffff0000', 'hi', "unknown terminal 'ffff0000'"],
			['aaaa0001', receiver.id, '  \n', 'the message is empty'],
			['aaaa0001', receiver.id, 'a\0b', 'the message is binary (it holds NUL bytes)'],
			['aaaa0001', receiver.id, 'x'.repeat(messageLimit + 1), 'the message is larger than 64 KB'],
			['../x', receiver.id, 'hi', "invalid sender '../x'"],
		];
		for (const [sender, to, body, message] of cases)
			expect(() => t.engine.inbox.send(sender, to, body)).toThrow(message);
		for (const status of ['pending', 'delivered', 'failed'] as const)
			expect(t.engine.inbox.list(receiver.id, status)).toEqual([]);
	});
});
