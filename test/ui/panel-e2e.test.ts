import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The real `cao-tui` in a tmux pane (a real terminal), driven by keystrokes and read back from
 * the pane's screen. The agents it creates live on the same private tmux server.
 */
describeWithTmux('cao-tui panel, end to end in a tmux pane', () => {
	let sandbox: Sandbox;
	const panel = '=panel:=ui';

	beforeEach(() => {
		sandbox = createSandbox();
		sandbox.tmux(
			'new-session',
			'-d',
			'-s',
			'panel',
			'-n',
			'ui',
			'-x',
			'120',
			'-y',
			'40',
			'-e',
			`CAO_HOME=${sandbox.home}`,
			'-e',
			`CAO_TMUX_SOCKET=${sandbox.socket}`,
			'-e',
			'FAKE_AGENT_THINK_MS=1500',
			process.execPath,
			cliPath,
		);
		// Kept when it exits, so that its exit status can be read.
		sandbox.tmux('set-option', '-w', '-t', panel, 'remain-on-exit', 'on');
	});

	afterEach(() => sandbox.dispose());

	const screen = () => sandbox.tmux('capture-pane', '-p', '-t', panel);
	const see = (what: string | RegExp, timeoutMs = 15_000) =>
		waitFor(() => (typeof what === 'string' ? screen().includes(what) : what.test(screen())), {
			timeoutMs,
			what: `the panel to show ${String(what)}`,
			state: screen,
		});
	const keys = (...names: string[]) => sandbox.tmux('send-keys', '-t', panel, ...names);
	const text = (typed: string) => sandbox.tmux('send-keys', '-t', panel, '-l', typed);

	it('creates a fake agent, sends it input, sees processing → completed, helps, filters, quits leaving the agent', async () => {
		await see('No terminals yet');
		keys('n');
		await see('New terminal');
		// profile: (none); provider: the first after "(the profile's)" is claude_code… pick "fake"
		keys('Tab');
		await see('▶ provider');
		for (let step = 0; step < 20 && !/▶ provider\s+◀ fake ▶/.test(screen()); step++) {
			const before = screen();
			keys('Right');
			await waitFor(() => screen() !== before, { what: 'the choice to change', state: screen });
		}
		keys('Enter');
		const card = await see(/fake ([0-9a-f]{8})/);
		expect(card).toBe(true);
		const id = /fake ([0-9a-f]{8})/.exec(screen())?.[1] ?? '';
		await see('○ idle');

		keys('i');
		await see('Input for fake');
		text('hello from the panel');
		keys('Enter');
		await see('◐ processing');
		await see('● completed');
		await see('Echo: hello from the panel');

		keys('?');
		await see('jump to the next agent waiting for an answer');
		keys('Escape');
		await see('enter attach');
		keys('/');
		await see('filter: ');
		text('nomatch');
		await see('no terminal matches “nomatch”');
		keys('Escape');
		await see(`fake ${id}`);

		keys('q');
		const dead = () =>
			sandbox.tmux('display-message', '-p', '-t', panel, '#{pane_dead}|#{pane_dead_status}').trim();
		await waitFor(() => dead().startsWith('1|'), { what: 'the panel to exit', state: screen });
		// tmux (3.3) may read the exit status only at its next SIGCHLD: give it one.
		await waitFor(
			() => {
				sandbox.tmux('run-shell', 'true');
				return /^1\|\d+$/.test(dead());
			},
			{ what: 'the exit status', state: dead },
		);
		expect(dead()).toBe('1|0');
		// The agent's window lives on; the engine left no hook behind.
		expect(sandbox.tmux('list-windows', '-a', '-F', '#{window_name}')).toContain(`fake-${id}`);
		expect(sandbox.tmux('show-hooks', '-g')).not.toMatch(/cao/);
	}, 90_000);
});
