import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../source/engine/store/database.js';
import { insertTerminalRow } from '../helpers/terminal-rows.js';
import { cliPath, runCli, startCli } from '../helpers/cli.js';
import { createSandbox, itWithTmux, type Sandbox, windowNames } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/** A user-facing error: one line, prefixed, no stack trace. */
const expectOneLineError = (stderr: string, text: string | RegExp) => {
	expect(stderr.endsWith('\n')).toBe(true);
	expect(stderr.trimEnd().split('\n')).toHaveLength(1);
	expect(stderr).toMatch(/^cao-tui: /);
	expect(stderr).not.toMatch(/\n\s+at /);
	if (typeof text === 'string') expect(stderr).toContain(text);
	else expect(stderr).toMatch(text);
};

describe('cao-tui command line', () => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => sandbox.dispose());

	it('documents the headless mode and its events in --help', async () => {
		const result = await runCli(['--help'], sandbox.env);
		expect(result.code).toBe(0);
		for (const text of [
			'--no-ui',
			'--launch PROVIDER[:PROFILE]',
			'terminal.ID.status',
			'CAO_TMUX_SOCKET',
			'--listen [HOST:]PORT',
			'CAO_API_TOKEN',
		]) {
			expect(result.stdout).toContain(text);
		}
	});

	it('says in one line that tmux is missing when tmux is asked for, and runs on pty when not', async () => {
		const noTmux = { ...sandbox.env, PATH: '/nonexistent', CAO_BACKEND: '' };
		const result = await runCli(['--no-ui', '--backend', 'tmux', '--launch', 'fake'], noTmux);
		expect(result.code).toBe(1);
		expectOneLineError(result.stderr, 'cao-tui: tmux is not installed (not found on PATH)');
		const bogus = await runCli(['--no-ui', '--backend', 'screen'], sandbox.env);
		expectOneLineError(bogus.stderr, "cao-tui: unknown backend 'screen': auto, tmux or pty");
		// auto: no tmux on PATH, so the terminals run in node-pty inside the engine.
		const onPty = startCli(['--no-ui', '--launch', 'fake'], noTmux);
		await waitFor(
			() =>
				onPty.events().some((event) => String(event.topic).endsWith('.status') && event.status === 'idle'),
			{
				what: 'the fake agent on pty',
			},
		);
		expect(onPty.events()[0]).toMatchObject({
			topic: 'engine.started',
			backend: 'pty (terminals end with the engine)',
		});
		onPty.child.kill('SIGTERM');
		expect(await onPty.exited).toBe(0);
		expect(onPty.events().some((event) => String(event.topic).endsWith('.exited'))).toBe(true);
	});

	it.each([
		[
			['--no-ui', '--launch', 'nope'],
			"unknown provider 'nope' (known: claude_code, codex, gemini_cli, kiro_cli, q_cli, kimi_cli, copilot_cli, opencode_cli, shell, fake)",
		],
		[['--no-ui', '--launch', 'fake:../etc'], "invalid --launch 'fake:../etc'"],
		[['output', 'deadbeef'], "unknown terminal 'deadbeef'"],
		[['output'], 'output needs a terminal id'],
		[['output', '../x'], "invalid terminal id '../x' (8 hex digits)"],
		[['send', 'a'.repeat(300), 'hi'], `invalid terminal id '${'a'.repeat(64)}…' (8 hex digits)`],
		[['kill', 'ffff000\u00e9'], "invalid terminal id 'ffff000\u00e9'"],
		[['attach', ''], 'attach needs a terminal id'],
		[['status', 'x;rm -rf'], "invalid terminal id 'x;rm -rf'"],
		[['flow', 'show', '../../etc/passwd'], "invalid flow name '../../etc/passwd'"],
		[['flow', 'run', 'a/b'], "invalid flow name 'a/b'"],
		[['flow', 'remove', '..'], "invalid flow name '..'"],
		[['profile', 'show', '../../etc/passwd'], "invalid profile name '../../etc/passwd'"],
		[['profile', 'show', 'a\nb'], "invalid profile name 'a?b'"],
		[['frobnicate'], "unknown command 'frobnicate'"],
	])('answers %j with one clear line', async (args, message) => {
		const result = await runCli(args, sandbox.env);
		expect(result.code).toBe(1);
		expectOneLineError(result.stderr, message);
	});

	it('refuses a bad CAO_RETENTION_DAYS in one line before starting', async () => {
		const result = await runCli(['--no-ui'], { ...sandbox.env, CAO_RETENTION_DAYS: 'a week' });
		expect(result.code).toBe(1);
		expectOneLineError(
			result.stderr,
			"cao-tui: CAO_RETENTION_DAYS must be a number of days (0 keeps everything), not 'a week'",
		);
		expect(readdirSync(sandbox.home)).toEqual([]);
	});

	it('prints what retention removed at start as one engine.pruned event, and keeps all with 0', async () => {
		const db = openDatabase(sandbox.paths.database);
		const old = Date.now() - 20 * 24 * 60 * 60 * 1000;
		for (const id of ['0b0b0b0b', '0c0c0c0c'])
			insertTerminalRow(db, id, { session: 'cao-old', createdAt: old, exitedAt: old });
		db.close();
		const serve = async (env: NodeJS.ProcessEnv) => {
			const cli = startCli(['--no-ui'], env);
			await waitFor(() => cli.events().some((event) => event.topic === 'engine.started'), {
				what: 'the engine',
				state: cli.stderr,
			});
			cli.child.kill('SIGTERM');
			expect(await cli.exited).toBe(0);
			return cli.events().filter((event) => event.topic === 'engine.pruned');
		};
		// 30 days: these ended 20 days ago, kept. 0: kept forever.
		expect(await serve({ ...sandbox.env, CAO_RETENTION_DAYS: '30' })).toEqual([]);
		expect(await serve({ ...sandbox.env, CAO_RETENTION_DAYS: '0' })).toEqual([]);
		expect(await serve(sandbox.env)).toEqual([
			expect.objectContaining({ message: 'removed 2 terminals (older than 14 days)' }),
		]);
	});

	it('detects a status from a raw stream on standard input, with its evidence', async () => {
		const stream = '\x1b[?2004h╭─╮\r\n\r\n❯ hi\r\n\r\x1b[2K● Echo: hi\r\n\r\n❯ ';
		const result = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
			const child = spawn(process.execPath, [cliPath, 'detect', '--provider', 'fake', '-'], {
				env: sandbox.env,
			});
			let stdout = '';
			child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
				stdout += chunk;
			});
			child.on('exit', (code) => resolve({ stdout, code }));
			child.stdin.end(stream);
		});
		expect(result.code).toBe(0);
		expect(JSON.parse(result.stdout)).toEqual({
			status: 'completed',
			rule: 'fake.reply-then-prompt',
			line: '● Echo: hi',
		});
	});

	it('extracts the last reply from a screen file', async () => {
		const screen = join(sandbox.home, 'screen.txt');
		writeFileSync(screen, '❯ first\n● Echo: first\n\n❯ second\n● Echo: second\n  and more\n\n❯ \n');
		const result = await runCli(['extract', '--provider', 'fake', screen], sandbox.env);
		expect(result).toMatchObject({ code: 0, stdout: 'Echo: second\nand more\n' });
	});

	it('ends quietly when whoever reads its output stops reading (| head)', async () => {
		const child = spawn(process.execPath, [cliPath, 'profile', 'show', 'code_supervisor'], {
			env: sandbox.env,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		child.stdout.destroy();
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
		expect(stderr).toBe('');
		expect(code).toBe(0);
	});

	it('lists, shows and installs agent profiles, refusing a malformed one in one line', async () => {
		const listed = await runCli(['profile', 'list'], sandbox.env);
		expect(listed.code).toBe(0);
		expect(listed.stdout).toMatch(/^code_supervisor\s+built-in\s+-\s+Splits a coding goal/m);
		const shown = await runCli(['profile', 'show', 'code_supervisor'], sandbox.env);
		expect(shown.stdout).toContain('handoff(agent_profile, message, timeout)');

		const mine = join(sandbox.home, 'mine.md');
		writeFileSync(mine, '---\nname: tester\nprovider: fake\ndescription: Tests things\n---\nTest it.\n');
		expect(await runCli(['profile', 'install', mine], sandbox.env)).toMatchObject({
			code: 0,
			stdout: 'installed profile tester\n',
		});
		const json = await runCli(['profile', 'list', '--json'], sandbox.env);
		expect(JSON.parse(json.stdout)).toContainEqual(
			expect.objectContaining({ name: 'tester', provider: 'fake', source: 'store' }),
		);

		writeFileSync(mine, '---\nname: tester\nmcpServers: nope\n---\n');
		const refused = await runCli(['profile', 'install', mine], sandbox.env);
		expect(refused.code).toBe(1);
		expectOneLineError(refused.stderr, "profile mine.md: field 'mcpServers': ");
		expect((await runCli(['profile', 'show', 'tester', '--json'], sandbox.env)).stdout).toContain(
			'"Test it."',
		);
	});

	it.each([
		[['detect', '--provider', 'fake', '/no/such/file'], 'cao-tui: no such file: /no/such/file'],
		[['detect', '/tmp'], 'detect needs a provider and a file'],
		[['extract', '--provider', 'nope', '-'], "unknown provider 'nope'"],
	])('answers %j with one clear line', async (args, message) => {
		const result = await runCli(args, sandbox.env);
		expect(result.code).toBe(1);
		expectOneLineError(result.stderr, message);
	});

	itWithTmux(
		'runs headless: NDJSON events, then SIGTERM leaves the agent running and no FIFO behind',
		async () => {
			const cli = startCli(['--no-ui', '--launch', 'fake', '--launch', 'shell'], {
				...sandbox.env,
				FAKE_AGENT_THINK_MS: '200',
			});
			const idle = (provider: string) =>
				cli.events().some((event) => event.rule === `${provider}.prompt` && event.status === 'idle');
			await waitFor(() => idle('fake') && idle('shell'), { what: 'both terminals idle', timeoutMs: 15_000 });
			const events = cli.events();
			expect(events[0]).toMatchObject({ topic: 'engine.started', backend: `tmux -L ${sandbox.socket}` });
			expect(events.filter((event) => String(event.topic).endsWith('.created'))).toHaveLength(2);
			const fake = events.find((event) => event.provider === 'fake');
			expect(fake).toBeDefined();

			// While the engine runs, the output command reads the terminal too.
			const output = await runCli(['output', String(fake?.terminalId)], sandbox.env);
			expect(output.stdout).toContain('Fake Agent (cao-tui test peer)');

			cli.child.kill('SIGTERM');
			expect(await cli.exited).toBe(0);
			expect(cli.events().at(-1)).toMatchObject({ topic: 'engine.stopped' });
			expect(cli.stderr()).toBe('');
			const windows = windowNames(sandbox);
			expect(windows.filter((name) => name.startsWith('fake-') || name.startsWith('shell-'))).toHaveLength(2);
			expect(windows.filter((name) => !name.startsWith('fake-') && !name.startsWith('shell-'))).toEqual([]);
			expect(readdirSync(sandbox.paths.fifos)).toEqual([]);

			// The agent outlived the engine and still answers.
			const again = await runCli(['output', String(fake?.terminalId), '--last'], sandbox.env);
			expect(again.code).toBe(0);
		},
	);

	it('serves with no terminal until told to stop, and fails when every launch fails', async () => {
		const idleEngine = startCli(['--no-ui'], sandbox.env);
		await waitFor(() => idleEngine.lines.length > 0, { what: 'engine.started' });
		expect(idleEngine.events()[0]).toMatchObject({ topic: 'engine.started' });
		idleEngine.child.kill('SIGINT');
		expect(await idleEngine.exited).toBe(0);

		const failing = await runCli(
			['--no-ui', '--launch', 'fake', '--working-directory', '/no/such/dir'],
			sandbox.env,
		);
		expect(failing.code).toBe(1);
		expectOneLineError(
			failing.stderr,
			"launch fake: working directory '/no/such/dir' does not exist or is not a folder",
		);
	});

	it('runs one engine per CAO_HOME: a second one says which pid runs', async () => {
		const first = startCli(['--no-ui'], sandbox.env);
		await waitFor(() => first.lines.length > 0, { what: 'engine.started' });
		const second = await runCli(['--no-ui'], sandbox.env);
		expect(second.code).toBe(1);
		expectOneLineError(
			second.stderr,
			`an engine is already running (pid ${first.child.pid}) for this CAO_HOME`,
		);
		first.child.kill('SIGTERM');
		expect(await first.exited).toBe(0);
		// Its socket went with it: the next engine starts.
		const third = startCli(['--no-ui'], sandbox.env);
		await waitFor(() => third.lines.length > 0, { what: 'the next engine' });
		third.child.kill('SIGTERM');
		expect(await third.exited).toBe(0);
	});

	itWithTmux('stops cleanly when whoever reads the events goes away', async () => {
		const cli = startCli(['--no-ui', '--launch', 'shell', '--launch', 'shell'], sandbox.env);
		await waitFor(() => cli.events().filter((event) => event.status === 'idle').length === 2, {
			what: 'idle',
		});
		// As with `| head -1`: the reader is gone, and the next event meets a broken pipe.
		cli.child.stdout.destroy();
		const [first] = windowNames(sandbox).filter((name) => name.startsWith('shell-'));
		sandbox.tmux('kill-window', '-t', `=${first?.replace(/^shell-/, 'cao-')}:=${first}`);
		expect(await cli.exited).toBe(0);
		expect(cli.stderr()).toBe('');
		expect(readdirSync(sandbox.paths.fifos)).toEqual([]);
		expect(sandbox.tmux('show-hooks', '-g')).not.toContain('cao-exit');
		expect(windowNames(sandbox).filter((name) => name.startsWith('shell-'))).toHaveLength(1);
	});

	itWithTmux('says in one line when the tmux server of a terminal is gone', async () => {
		const cli = startCli(['--no-ui', '--launch', 'shell'], sandbox.env);
		await waitFor(() => cli.events().some((event) => event.status === 'idle'), { what: 'idle' });
		const id = String(cli.events().find((event) => event.status === 'idle')?.terminalId);
		cli.child.kill('SIGTERM');
		await cli.exited;
		sandbox.tmux('kill-server');
		const result = await runCli(['output', id], sandbox.env);
		expect(result.code).toBe(1);
		expectOneLineError(result.stderr, /cao-tui: tmux capture-pane: (no server running|error connecting to)/);
	});
});
