import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTmuxBackend } from '../../../source/engine/backends/tmux-backend.js';
import { createTmuxRunner } from '../../../source/engine/backends/tmux.js';
import type { TerminalSpec } from '../../../source/engine/backends/types.js';
import { fifoWriterPid } from '../../helpers/fifo-writer.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';

describeWithTmux('tmux backend', () => {
	let sandbox: Sandbox;
	let warnings: string[];
	beforeEach(() => {
		sandbox = createSandbox();
		warnings = [];
	});
	afterEach(() => {
		sandbox.dispose();
		expect(warnings).toEqual([]);
	});

	const list = (...args: string[]) => {
		try {
			return sandbox
				.tmux(...args)
				.split('\n')
				.filter(Boolean)
				.sort();
		} catch (error) {
			return [`ERROR ${String((error as { stderr?: string }).stderr ?? error).trim()}`];
		}
	};
	const sessions = () => list('list-sessions', '-F', '#{session_name}');
	const hooks = () => list('show-hooks', '-g').filter((line) => line.startsWith('window-unlinked['));

	const backend = () =>
		createTmuxBackend({
			tmux: createTmuxRunner(sandbox.socket),
			fifoDir: sandbox.paths.fifos,
			warn: (message) => warnings.push(message),
		});

	const spec = (session: string): TerminalSpec => {
		const terminalId = randomBytes(4).toString('hex');
		return {
			terminalId,
			session,
			window: `w-${terminalId}`,
			command: ['sleep', '60'],
			workingDirectory: tmpdir(),
			env: {},
		};
	};

	/** Creates a terminal; resolves with the reason it exited, once it does. */
	const open = async (engine: ReturnType<typeof backend>, session: string) => {
		const terminal = spec(session);
		let exited: (reason: string) => void = () => {};
		const exit = new Promise<string>((resolve) => {
			exited = resolve;
		});
		await engine.create(terminal, { output: () => {}, exited, resumed: () => {} });
		return { terminal, exit };
	};

	it('opens a pane’s pipe again when it closes or stalls, judging the terminal from its screen', async () => {
		const engine = createTmuxBackend({
			tmux: createTmuxRunner(sandbox.socket),
			fifoDir: sandbox.paths.fifos,
			warn: (message) => warnings.push(message),
			pipeCheckMs: 300,
		});
		await engine.start();
		// Says "got LINE" for each line it reads.
		const terminal = {
			...spec('cao-p'),
			command: [
				process.execPath,
				'-e',
				'process.stdout.write("ready\\n"); require("readline").createInterface({ input: process.stdin }).on("line", (l) => process.stdout.write("got " + l + "\\n"));',
			],
		};
		let output = '';
		const screens: string[] = [];
		await engine.create(terminal, {
			output: (data) => {
				output += data;
			},
			exited: () => {},
			resumed: (screen) => screens.push(screen),
		});
		const fifo = join(sandbox.paths.fifos, `${terminal.terminalId}.fifo`);
		const say = async (line: string) => {
			await engine.paste(terminal, line);
			await engine.sendKeys(terminal, ['Enter']);
		};
		await waitFor(() => output.includes('ready'), { what: 'the first output' });

		// A user closes the pipe (pipe-pane with no command): its writer goes, we open it again.
		sandbox.tmux('pipe-pane', '-t', `=${terminal.session}:=${terminal.window}`);
		await waitFor(() => screens.length === 1, { what: 'the pipe to be opened again' });
		expect(screens[0]).toContain('ready');
		await say('after close');
		await waitFor(() => output.includes('got after close'), { what: 'output through the new pipe' });

		// The pipe's writer stops reading: input draws on the pane and nothing comes through.
		const stalled = fifoWriterPid(fifo);
		expect(stalled).toBeDefined();
		process.kill(stalled ?? 0, 'SIGSTOP');
		try {
			// tmux keeps the time of a pane's last drawing in whole seconds: draw in a later one.
			const lastOutput = Math.floor(Date.now() / 1000);
			await waitFor(() => Math.floor(Date.now() / 1000) > lastOutput, { what: 'the next second' });
			await say('while stalled');
			await waitFor(() => screens.length === 2, { what: 'the stalled pipe to be replaced' });
			expect(screens[1]).toContain('got while stalled');
			await say('after stall');
			await waitFor(() => output.includes('got after stall'), { what: 'output through the new pipe' });
		} finally {
			process.kill(stalled ?? 0, 'SIGKILL');
		}
		await engine.stop();
	});

	it('starts no tmux server, and starts none when stopped', async () => {
		const engine = backend();
		await engine.start();
		expect(sessions()[0]).toMatch(/^ERROR (no server running|error connecting)/);
		await engine.stop();
		expect(sessions()[0]).toMatch(/^ERROR (no server running|error connecting)/);
	});

	it('reports the exit of a window, however it ends, and leaves the user’s hooks and sessions alone', async () => {
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		sandbox.tmux('set-hook', '-g', 'window-unlinked[0]', 'display-message users-hook');
		const engine = backend();
		await engine.start();
		const killed = await open(engine, 'cao-a');
		const another = await open(engine, 'cao-a');
		expect(hooks()).toHaveLength(2);
		// A user kills one window; the other's process exits by itself (its session's last window).
		sandbox.tmux('kill-window', '-t', `=cao-a:=${killed.terminal.window}`);
		expect(await killed.exit).toBe('window closed');
		sandbox.tmux('respawn-pane', '-k', '-t', `=cao-a:=${another.terminal.window}`, 'true');
		expect(await another.exit).toBe('window closed');
		await engine.stop();
		expect(hooks()).toEqual(['window-unlinked[0] display-message users-hook']);
		expect(sessions()).toEqual(['users-own']);
	});

	it('never reports a terminal created while it checks for closed windows as exited', async () => {
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		const engine = backend();
		await engine.start();
		const falseExits: string[] = [];
		const opened = await open(engine, 'cao-e');
		void opened.exit.then((reason) => falseExits.push(reason));
		for (let round = 0; round < 15; round++) {
			// Each unrelated window that closes makes the engine list windows; meanwhile, a new one comes.
			sandbox.tmux('new-window', '-d', '-t', '=users-own:', '-n', `tmp${round}`);
			const closing = createTmuxRunner(sandbox.socket).run(['kill-window', '-t', `=users-own:=tmp${round}`]);
			const terminal = await open(engine, 'cao-e');
			void terminal.exit.then((reason) => falseExits.push(`${terminal.terminal.window}: ${reason}`));
			await closing;
		}
		// One more exit, of ours, proves the watcher is still waking; none of the others may be reported.
		sandbox.tmux('kill-window', '-t', `=cao-e:=${opened.terminal.window}`);
		expect(await opened.exit).toBe('window closed');
		expect(falseExits).toEqual(['window closed']);
		await engine.stop();
	});

	it('runs nothing from a folder name and starts the agent in that very folder', async () => {
		const folder = join(sandbox.home, 'x#{pane_id}#(touch pwned)');
		mkdirSync(folder);
		const engine = backend();
		await engine.start();
		const terminal = {
			...spec('cao-f'),
			command: ['sh', '-c', 'pwd > where; sleep 60'],
			workingDirectory: folder,
		};
		await engine.create(terminal, { output: () => {}, exited: () => {}, resumed: () => {} });
		// The shell creates the file before pwd writes to it: wait for its line.
		const where = await waitFor(
			() => existsSync(join(folder, 'where')) && readFileSync(join(folder, 'where'), 'utf8').trim(),
			{
				what: 'the agent to start',
			},
		);
		expect(where).toBe(folder);
		expect(existsSync(join(sandbox.home, 'pwned'))).toBe(false);
		expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
		await engine.stop();
	});

	it('finds the agent’s command on the PATH given in the terminal’s environment', async () => {
		const bin = join(sandbox.home, 'bin');
		mkdirSync(bin);
		writeFileSync(join(bin, 'my-agent'), '#!/bin/sh\necho "$PATH" > "$1"; sleep 60\n', { mode: 0o755 });
		const engine = backend();
		await engine.start();
		const seen = join(sandbox.home, 'seen-path');
		const path = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
		const terminal = { ...spec('cao-p'), command: ['my-agent', seen], env: { PATH: path } };
		await engine.create(terminal, { output: () => {}, exited: () => {}, resumed: () => {} });
		const found = await waitFor(() => existsSync(seen) && readFileSync(seen, 'utf8').trim(), {
			what: 'the agent to start from its own PATH',
		});
		expect(found).toBe(path);
		await engine.stop();
	});

	it('ends an agent that ignores the hangup of its closed window', async () => {
		const engine = backend();
		await engine.start();
		const pidFile = join(sandbox.home, 'agent.pid');
		const terminal = {
			...spec('cao-q'),
			command: ['sh', '-c', `trap '' HUP; echo $$ > '${pidFile}'; exec sleep 60`],
		};
		await engine.create(terminal, { output: () => {}, exited: () => {}, resumed: () => {} });
		const pid = Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()));
		await engine.destroy(terminal);
		// Ended, though tmux may not have collected it yet.
		const state = () => {
			try {
				return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
			} catch {
				return 'gone';
			}
		};
		expect(['gone', 'Z']).toContain(state());
		await engine.stop();
	});

	it('sees exits although the user set remain-on-exit, and keeps one terminal’s environment out of the session', async () => {
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		sandbox.tmux('set-option', '-g', 'remain-on-exit', 'on');
		const engine = backend();
		await engine.start();
		let exited: (reason: string) => void = () => {};
		const exit = new Promise<string>((resolve) => {
			exited = resolve;
		});
		const terminal = { ...spec('cao-g'), command: ['sleep', '0.3'], env: { SECRET_TOKEN: 's3' } };
		await engine.create(terminal, { output: () => {}, exited, resumed: () => {} });
		expect(sandbox.tmux('show-environment', '-t', 'cao-g')).not.toContain('SECRET_TOKEN');
		expect(await exit).toBe('window closed');
		await engine.stop();
	});

	it('reports the exit of agents that die while they are being created', async () => {
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		const engine = backend();
		await engine.start();
		const exits = await Promise.all(
			Array.from({ length: 12 }, async () => {
				let exited: (reason: string) => void = () => {};
				const exit = new Promise<string>((resolve) => {
					exited = resolve;
				});
				await engine
					.create({ ...spec('cao-h'), command: ['true'] }, { output: () => {}, exited, resumed: () => {} })
					.catch(() => {
						exited('creation failed');
					});
				return exit;
			}),
		);
		for (const reason of exits) expect(['window closed', 'creation failed']).toContain(reason);
		await engine.stop();
	});

	it('reports every terminal exited when the tmux server dies, and works on a new server', async () => {
		const engine = backend();
		await engine.start();
		const first = await open(engine, 'cao-b');
		const second = await open(engine, 'cao-c');
		sandbox.tmux('kill-server');
		expect(await first.exit).toBe('window closed (tmux server gone)');
		expect(await second.exit).toBe('window closed (tmux server gone)');
		const fresh = await open(engine, 'cao-d');
		// Another session keeps the new server up once this window is gone.
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		sandbox.tmux('kill-window', '-t', `=cao-d:=${fresh.terminal.window}`);
		expect(await fresh.exit).toBe('window closed');
		await engine.stop();
	});

	it('sweeps what killed engines left (hook, waiting client), and only theirs', async () => {
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		sandbox.tmux('set-hook', '-g', 'window-unlinked[1500]', 'wait-for -U cao-exit-999999999-abcdef');
		sandbox.tmux('set-hook', '-g', 'window-unlinked[1501]', `wait-for -U cao-exit-${process.ppid}-abcdef`);
		// A dead engine's waiter: blocked on its channel's lock.
		sandbox.tmux('wait-for', '-L', 'cao-exit-999999999-abcdef');
		const orphan = spawn('tmux', ['-L', sandbox.socket, 'wait-for', '-L', 'cao-exit-999999999-abcdef'], {
			stdio: 'ignore',
		});
		const orphanGone = new Promise((resolve) => orphan.on('exit', resolve));
		const engine = backend();
		await engine.start();
		await orphanGone;
		expect(hooks()).toEqual([`window-unlinked[1501] wait-for -U cao-exit-${process.ppid}-abcdef`]);
		await engine.stop();
	});

	it('survives engines coming and going at once on one server, seeing every exit', async () => {
		// The pattern that segfaulted tmux 3.3 when each engine watched through a control-mode client.
		sandbox.tmux('new-session', '-d', '-s', 'bystander');
		const cycle = async (lane: number) => {
			for (let round = 0; round < 4; round++) {
				const engine = backend();
				await engine.start();
				const terminals = await Promise.all([open(engine, `cao-l${lane}`), open(engine, `cao-l${lane}`)]);
				for (const { terminal, exit } of terminals) {
					sandbox.tmux('kill-window', '-t', `=cao-l${lane}:=${terminal.window}`);
					const late = new Promise((resolve) =>
						setTimeout(() => resolve(`no exit seen for lane ${lane}, round ${round}`), 8000),
					);
					expect(await Promise.race([exit, late])).toBe('window closed');
				}
				await engine.stop();
			}
		};
		await Promise.all([cycle(1), cycle(2), cycle(3), cycle(4)]);
		expect(sessions()).toEqual(['bystander']);
		expect(hooks()).toEqual([]);
	});
});
