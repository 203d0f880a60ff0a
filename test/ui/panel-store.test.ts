import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../source/engine/bus.js';
import type { TerminalRecord } from '../../source/engine/store/terminal-repository.js';
import { createPanelStore, type PanelSource } from '../../source/ui/panel-store.js';
import { waitFor } from '../helpers/wait-for.js';

const record: TerminalRecord = {
	id: 'aa11',
	session: 's',
	window: 'w',
	provider: 'fake',
	profile: 'developer',
	workingDirectory: '/',
	callerId: null,
	createdAt: 0,
	lastActiveAt: 0,
	lastStatus: 'idle',
	exitedAt: null,
};

/** A source over a real bus, its data held here (the engine's side has tests of its own). */
const sourceWith = (screen = 'banner\n❯ hi\n● Echo: hi\n❯\n\n') => {
	let captures = 0;
	let pending = 0;
	const source: PanelSource = {
		bus: createEventBus((error) => {
			throw error;
		}),
		backend: 'tmux -L test',
		listTerminals: () => [record],
		statusOf: () => undefined,
		pendingCount: () => pending,
		listFlows: () => [],
		capture: async () => {
			captures += 1;
			return screen;
		},
		lastReply: () => 'Echo: hi',
	};
	return {
		source,
		captures: () => captures,
		setPending: (count: number) => {
			pending = count;
		},
	};
};

const status = (status: 'processing' | 'completed', at: number) => ({
	terminalId: 'aa11',
	status,
	previous: 'idle' as const,
	rule: `fake.${status}`,
	line: status === 'processing' ? '⠋ Thinking…' : '● Echo: hi',
	at,
});

describe('panel store', () => {
	it('redraws at most maxFps times a second, however many events come', async () => {
		const { source } = sourceWith();
		const store = createPanelStore(source, { maxFps: 15 });
		let redraws = 0;
		store.subscribe(() => {
			redraws += 1;
		});
		const started = Date.now();
		for (let index = 0; index < 300; index++)
			source.bus.emit('terminal.aa11.status', status(index % 2 ? 'processing' : 'completed', index));
		await waitFor(() => redraws >= 1, { what: 'a redraw' });
		// One frame for the burst; the snapshot has the newest status and a bounded history.
		const snapshot = store.getSnapshot();
		expect(redraws).toBe(1);
		expect(snapshot.terminals[0]?.status).toBe('processing');
		expect(snapshot.terminals[0]?.history).toHaveLength(8);
		expect(Date.now() - started).toBeLessThan(1000);
		store.stop();
	});

	it("reads a screen only when its agent writes, and shows a finished turn's reply on the card", async () => {
		const { source, captures, setPending } = sourceWith();
		const store = createPanelStore(source, { lastLineMs: 50 });
		await waitFor(() => captures() === 1, { what: 'the first read' });
		source.bus.emit('terminal.aa11.status', status('completed', 1));
		for (let index = 0; index < 50; index++)
			source.bus.emit('terminal.aa11.output', {
				terminalId: 'aa11',
				data: 'x',
				bytes: Buffer.from('x'),
				at: index,
			});
		await waitFor(() => store.getSnapshot().terminals[0]?.lastLine === 'Echo: hi', {
			what: 'the reply line',
		});
		// Fifty chunks in a burst: one more read, not fifty.
		await waitFor(() => captures() === 2, { what: 'one more read' });
		expect(captures()).toBe(2);
		setPending(3);
		source.bus.emit('inbox.aa11.queued', { messageId: 1, senderId: 'user', receiverId: 'aa11', at: 2 });
		await waitFor(() => store.getSnapshot().terminals[0]?.pending === 3, { what: 'the pending count' });
		source.bus.emit('terminal.aa11.exited', { terminalId: 'aa11', reason: 'gone', at: 3 });
		await waitFor(() => store.getSnapshot().terminals.length === 0, { what: 'the card to go' });
		store.stop();
	});

	it('says in one line that the tmux server is gone, counting the terminals it took', async () => {
		const { source } = sourceWith();
		let clock = 1_000_000;
		const store = createPanelStore(source, { now: () => clock, warningMs: 10_000 });
		const exit = (terminalId: string, reason: string, at: number) =>
			source.bus.emit(`terminal.${terminalId}.exited`, { terminalId, reason, at });
		// An agent that quits is no news for the header.
		exit('aa11', 'window closed', clock);
		await waitFor(() => store.getSnapshot().terminals.length === 0, { what: 'the card to go' });
		expect(store.getSnapshot().warning).toBeNull();
		// The server dies: its terminals' exits come in a burst, one notice counts them.
		for (const [index, id] of ['bb22', 'cc33', 'dd44'].entries())
			exit(id, 'window closed (tmux server gone)', clock + index);
		await waitFor(() => store.getSnapshot().warning === 'tmux server is gone: 3 terminals exited', {
			what: 'the notice',
			state: () => String(store.getSnapshot().warning),
		});
		// A new server that dies later, once the notice is gone, counts afresh.
		clock += 60_000;
		exit('ee55', 'window closed (tmux server gone)', clock);
		await waitFor(() => store.getSnapshot().warning === 'tmux server is gone: 1 terminal exited', {
			what: 'the second notice',
			state: () => String(store.getSnapshot().warning),
		});
		store.stop();
	});

	it("previews the selected terminal's screen, without trailing blanks", async () => {
		const { source } = sourceWith('row one\nrow two   \n\n\n');
		const store = createPanelStore(source);
		store.select('aa11');
		await waitFor(() => store.getSnapshot().preview !== null, { what: 'the preview' });
		expect(store.getSnapshot().preview?.rows).toEqual(['row one', 'row two']);
		store.stop();
	});
});
