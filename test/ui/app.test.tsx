import { render } from 'ink-testing-library';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { App } from '../../source/ui/components/app.js';
import { panelActions, panelSource } from '../../source/ui/engine-bindings.js';
import { createPanelStore, type PanelStore } from '../../source/ui/panel-store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend, itTmuxOnly } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The panel on a real engine (tmux, FIFOs, SQLite, the fake agent), rendered by Ink into
 * ink-testing-library's stdout; keys go in through its stdin.
 */
describeEachBackend('the panel (ink-testing-library, real engine)', (backend) => {
	let t: TestEngine;
	let store: PanelStore;
	let quits = 0;
	let attached: string[] = [];

	beforeEach(async () => {
		t = await startTestEngine({ backend });
		store = createPanelStore(panelSource(t.engine), { maxFps: 30, lastLineMs: 100, previewMs: 50 });
		quits = 0;
		attached = [];
	});

	afterEach(async () => {
		store.stop();
		await t.dispose();
	});

	const mount = () => {
		const actions = panelActions(t.engine, store, {
			attach: async (id) => {
				attached.push(id);
			},
			quit: () => {
				quits += 1;
			},
		});
		const ui = render(
			<App
				store={store}
				actions={actions}
				choices={{ profiles: ['developer'], providers: ['fake', 'shell'], workingDirectory: t.sandbox.home }}
			/>,
		);
		const frame = () => ui.lastFrame() ?? '';
		const see = (what: string | RegExp, timeoutMs = 10_000) =>
			waitFor(() => (typeof what === 'string' ? frame().includes(what) : what.test(frame())), {
				timeoutMs,
				what: `the panel to show ${String(what)}`,
				state: frame,
			});
		/** One key at a time, as a user types (each is read before the next). */
		const type = async (...keys: string[]) => {
			for (const key of keys) ui.stdin.write(key);
		};
		return { ui, frame, see, type };
	};

	it('creates a fake agent from the keyboard, sends it input and shows processing → completed', async () => {
		const { ui, frame, see, type } = mount();
		await see('No terminals yet');
		expect(frame()).toContain('n new');
		await type('n');
		await see('New terminal');
		// profile (none) → provider: fake (first after "the profile's")
		await type('\t', '\x1b[C', '\r');
		await see(/fake [0-9a-f]{8}/);
		await see('○ idle', 15_000);
		await type('i');
		await see('Input for fake');
		await type('hello panel', '\r');
		await see('◐ processing');
		await see('● completed', 15_000);
		// The card's line is the reply; the detail pane shows the rendered screen and the evidence.
		await see('Echo: hello panel');
		expect(frame()).toContain('fake.reply-then-prompt');
		expect(frame()).not.toContain('\x1b]');
		ui.unmount();
	});

	it('opens help, filters, explains a status and asks before killing', async () => {
		await t.engine.terminals.create({ provider: 'fake', profile: { name: 'developer' } });
		await t.engine.terminals.create({ provider: 'shell' });
		const { ui, frame, see, type } = mount();
		await see('developer');
		await see('shell');
		await type('?');
		await see('Keys');
		expect(frame()).toContain('jump to the next agent waiting for an answer');
		await type('\x1b');
		await see('enter attach');
		await type('/', 'd', 'e', 'v');
		await see('filter: dev');
		await waitFor(() => !frame().includes('shell '), {
			what: 'the shell card to be filtered out',
			state: frame,
		});
		await type('\r', 'e');
		await see('Why developer');
		expect(frame()).toMatch(/rule: \S+/);
		// Esc and a key right after it would read as alt+key, as in any terminal: one at a time.
		await type('\x1b');
		await waitFor(() => !frame().includes('Why developer'), {
			what: 'the explanation to close',
			state: frame,
		});
		await type('x');
		await see('Kill developer');
		await type('n');
		await waitFor(() => !frame().includes('Kill developer'), { what: 'the question to close', state: frame });
		expect(t.engine.terminals.list()).toHaveLength(2);
		await type('\r');
		await waitFor(() => attached.length === 1, { what: 'an attach' });
		await type('q');
		await waitFor(() => quits === 1, { what: 'quit' });
		ui.unmount();
	});

	it('counts the messages waiting in an inbox on the card', async () => {
		const busy = await t.engine.terminals.create({ provider: 'fake' });
		const { ui, see } = mount();
		await see('✉ 0');
		// Waiting for it to be ready: a message to an agent that is processing stays pending.
		await t.engine.terminals.sendInput(busy.id, '!ask');
		await see('? waiting', 15_000);
		t.engine.inbox.send('user', busy.id, 'one for later');
		await see('✉ 1');
		ui.unmount();
	});

	itTmuxOnly(backend)('says what happened when the tmux server is killed, and goes on', async () => {
		await t.engine.terminals.create({ provider: 'fake', profile: { name: 'developer' } });
		await t.engine.terminals.create({ provider: 'shell' });
		const { ui, frame, see } = mount();
		await see('developer');
		await see('shell');
		t.sandbox.tmux('kill-server');
		await see('tmux server is gone: 2 terminals exited');
		await see('No terminals yet');
		// A new terminal starts a new server, and the panel shows it like any other.
		await t.engine.terminals.create({ provider: 'fake' });
		await waitFor(() => /fake [0-9a-f]{8}/.test(frame()), { what: 'the new card', state: frame });
		ui.unmount();
	});
});
