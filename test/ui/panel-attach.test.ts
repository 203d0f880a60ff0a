import pty from 'node-pty';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The real `cao-tui` panel in a real PTY (120×36) outside tmux, as in a plain terminal window,
 * with what it draws recorded.
 */
const openPanel = (sandbox: Sandbox, args: readonly string[]) => {
	const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '300' } as Record<string, string>;
	delete env.TMUX;
	const terminal = pty.spawn(process.execPath, [cliPath, ...args], { cols: 120, rows: 36, env });
	let output = '';
	let exitCode: number | undefined;
	terminal.onData((data) => {
		output += data;
	});
	terminal.onExit(({ exitCode: code }) => {
		exitCode = code;
	});
	const recent = () => output.slice(-2000);
	return {
		terminal,
		output: () => output,
		/** Forgets what was drawn so far: the next `see` looks at what comes after. */
		forget() {
			output = '';
		},
		see: (pattern: RegExp) =>
			waitFor(() => pattern.test(output), {
				timeoutMs: 15_000,
				what: `the terminal to show ${String(pattern)}`,
				state: recent,
			}),
		exited: async () => {
			await waitFor(() => exitCode !== undefined, { what: 'the panel to exit', state: recent });
			return exitCode;
		},
	};
};

/* Enter attaches to the agent's tmux window (the panel steps aside); detaching brings it back. */
describeWithTmux('cao-tui panel attach, in a PTY', () => {
	let sandbox: Sandbox;
	let panel: ReturnType<typeof openPanel> | undefined;

	beforeEach(() => {
		sandbox = createSandbox();
	});

	afterEach(() => {
		panel?.terminal.kill();
		sandbox.dispose();
	});

	it('attaches with enter, comes back on detach, quits with the agent still running', async () => {
		panel = openPanel(sandbox, ['--launch', 'fake']);
		await panel.see(/○ idle/);
		panel.forget();
		panel.terminal.write('\r');
		// tmux's status line: the agent's window, attached.
		await panel.see(/\[cao-[0-9a-f]+:fake-[0-9a-f]{8}\*/);
		const client = await waitFor(() => sandbox.tmux('list-clients', '-F', '#{client_name}').trim(), {
			what: 'the tmux client',
		});
		sandbox.tmux('detach-client', '-t', client);
		await panel.see(/back from fake [0-9a-f]{8}/);
		panel.terminal.write('q');
		expect(await panel.exited()).toBe(0);
		expect(sandbox.tmux('list-windows', '-a', '-F', '#{window_name}')).toMatch(/^fake-[0-9a-f]{8}$/m);
	}, 60_000);
});

/* The same on the pty backend: no tmux at all, the agent inside the panel's process. */
describe('cao-tui panel attach on the pty backend, in a PTY', () => {
	let sandbox: Sandbox;
	let panel: ReturnType<typeof openPanel> | undefined;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => {
		panel?.terminal.kill();
		sandbox.dispose();
	});

	it('wires the agent to the terminal until Ctrl-], then asks before quitting with agents running', async () => {
		panel = openPanel(sandbox, ['--backend', 'pty', '--launch', 'fake']);
		await panel.see(/○ idle/);
		expect(panel.output()).toContain('pty (terminals end with the engine)');
		panel.forget();
		panel.terminal.write('\r');
		// The agent's screen, drawn on a cleared terminal.
		await panel.see(/\x1b\[2J\x1b\[H[\s\S]*Fake Agent/);
		panel.forget();
		panel.terminal.write('typed while attached\r');
		await panel.see(/Echo: typed while attached/);
		panel.terminal.write('\x1d');
		await panel.see(/back from fake [0-9a-f]{8}/);
		// Keys reach the panel again.
		panel.terminal.write('q');
		await panel.see(/runs inside the panel \(pty\) and ends with it\. Quit anyway\?/);
		panel.terminal.write('y');
		expect(await panel.exited()).toBe(0);
	}, 60_000);
});

/** Gone, or a zombie waiting to be reaped: it runs no more. */
const ended = (pid: number) => {
	try {
		return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
	} catch {
		return true;
	}
};

/* The window holding the panel closes (or its tmux server is killed): the PTY hangs up. */
describe('cao-tui panel whose terminal goes away', () => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => sandbox.dispose());

	it('stops its engine and exits, rather than spinning on writes that fail', async () => {
		const panel = openPanel(sandbox, ['--launch', 'fake']);
		await panel.see(/○ idle/);
		const { pid } = panel.terminal;
		// Closes the PTY's master side, as a closed terminal window does: SIGHUP, then EIO on writes.
		(panel.terminal as unknown as { destroy(): void }).destroy();
		await waitFor(() => ended(pid), { what: 'the panel process to end', timeoutMs: 15_000 });
		expect(existsSync(sandbox.paths.socket)).toBe(false);
	}, 60_000);
});
