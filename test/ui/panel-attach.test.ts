import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The real `cao-tui` in a real PTY outside tmux, as in a plain terminal window: enter attaches to
 * the agent's tmux window (the panel steps aside), detaching brings the panel back.
 */
describeWithTmux('cao-tui panel attach, in a PTY', () => {
	let sandbox: Sandbox;
	let terminal: pty.IPty | undefined;

	beforeEach(() => {
		sandbox = createSandbox();
	});

	afterEach(() => {
		terminal?.kill();
		sandbox.dispose();
	});

	it('attaches with enter, comes back on detach, quits with the agent still running', async () => {
		const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '300' } as Record<string, string>;
		delete env.TMUX;
		terminal = pty.spawn(process.execPath, [cliPath, '--launch', 'fake'], { cols: 120, rows: 36, env });
		let output = '';
		let exitCode: number | undefined;
		terminal.onData((data) => {
			output += data;
		});
		terminal.onExit(({ exitCode: code }) => {
			exitCode = code;
		});
		const see = (pattern: RegExp) =>
			waitFor(() => pattern.test(output), {
				timeoutMs: 15_000,
				what: `the terminal to show ${String(pattern)}`,
				state: () => output.slice(-2000),
			});

		await see(/○ idle/);
		output = '';
		terminal.write('\r');
		// tmux's status line: the agent's window, attached.
		await see(/\[cao-[0-9a-f]+:fake-[0-9a-f]{8}\*/);
		const client = await waitFor(() => sandbox.tmux('list-clients', '-F', '#{client_name}').trim(), {
			what: 'the tmux client',
		});
		sandbox.tmux('detach-client', '-t', client);
		await see(/back from fake [0-9a-f]{8}/);
		terminal.write('q');
		await waitFor(() => exitCode !== undefined, {
			what: 'the panel to exit',
			state: () => output.slice(-2000),
		});
		expect(exitCode).toBe(0);
		expect(sandbox.tmux('list-windows', '-a', '-F', '#{window_name}')).toMatch(/^fake-[0-9a-f]{8}$/m);
	}, 60_000);
});

/* The same on the pty backend: no tmux at all, the agent inside the panel's process. */
describe('cao-tui panel attach on the pty backend, in a PTY', () => {
	let terminal: pty.IPty | undefined;
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => {
		terminal?.kill();
		sandbox.dispose();
	});

	it('wires the agent to the terminal until Ctrl-], then asks before quitting with agents running', async () => {
		const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '300' } as Record<string, string>;
		delete env.TMUX;
		terminal = pty.spawn(process.execPath, [cliPath, '--backend', 'pty', '--launch', 'fake'], {
			cols: 120,
			rows: 36,
			env,
		});
		let output = '';
		let exitCode: number | undefined;
		terminal.onData((data) => {
			output += data;
		});
		terminal.onExit(({ exitCode: code }) => {
			exitCode = code;
		});
		const see = (pattern: RegExp) =>
			waitFor(() => pattern.test(output), {
				timeoutMs: 15_000,
				what: `the terminal to show ${String(pattern)}`,
				state: () => output.slice(-2000),
			});
		await see(/○ idle/);
		expect(output).toContain('pty (terminals end with the engine)');
		output = '';
		terminal.write('\r');
		// The agent's screen, drawn on a cleared terminal.
		await see(/\x1b\[2J\x1b\[H[\s\S]*Fake Agent/);
		output = '';
		terminal.write('typed while attached\r');
		await see(/Echo: typed while attached/);
		terminal.write('\x1d');
		await see(/back from fake [0-9a-f]{8}/);
		// Keys reach the panel again.
		terminal.write('q');
		await see(/runs inside the panel \(pty\) and ends with it\. Quit anyway\?/);
		terminal.write('y');
		await waitFor(() => exitCode !== undefined, {
			what: 'the panel to exit',
			state: () => output.slice(-2000),
		});
		expect(exitCode).toBe(0);
	}, 60_000);
});
