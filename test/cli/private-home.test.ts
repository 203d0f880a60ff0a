import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestEngine } from '../../source/api/client.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const expectOneLine = (stderr: string, text: string) => {
	expect(stderr.trimEnd().split('\n')).toHaveLength(1);
	expect(stderr).not.toMatch(/\n\s+at /);
	expect(stderr).toContain(text);
};

// Backend pty: these engines start no terminal, and need no tmux server.
describe('CAO_HOME must be private to start an engine', () => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox('pty');
	});
	afterEach(() => sandbox.dispose());

	it('creates a missing CAO_HOME 0700 with a 0600 socket, and serves', async () => {
		const home = join(sandbox.home, 'fresh', 'cao');
		const engine = startCli(['--no-ui'], { ...sandbox.env, CAO_HOME: home });
		try {
			await waitFor(() => engine.lines.length > 0, { what: 'engine.started', state: engine.stderr });
			expect(statSync(home).mode & 0o777).toBe(0o700);
			expect(statSync(join(home, 'cao.sock')).mode & 0o777).toBe(0o600);
			expect(await requestEngine(join(home, 'cao.sock'), 'GET', '/health')).toMatchObject({ home });
		} finally {
			engine.child.kill('SIGTERM');
			expect(await engine.exited).toBe(0);
		}
	});

	it.each(['755', '750', '701', '707'])(
		'refuses a CAO_HOME of mode 0%s in one line, and leaves it untouched',
		async (octal) => {
			const mode = Number.parseInt(octal, 8);
			chmodSync(sandbox.home, mode);
			const result = await runCli(['--no-ui'], sandbox.env);
			expect(result.code).toBe(1);
			expectOneLine(
				result.stderr,
				`cao-tui: ${sandbox.home} is open to other users (mode 0${mode.toString(8)}): run chmod 700 ${sandbox.home}`,
			);
			// Not chmod'ed behind the user's back, and nothing was written there.
			expect(statSync(sandbox.home).mode & 0o777).toBe(mode);
			expect(existsSync(sandbox.paths.database)).toBe(false);
			expect(existsSync(sandbox.paths.socket)).toBe(false);
		},
	);

	it('refuses a CAO_HOME owned by another user, even when it is 0700', async () => {
		const uid = process.getuid?.() ?? 0;
		const home = join(sandbox.home, 'theirs');
		mkdirSync(home, { mode: 0o700 });
		// As root the folder can be handed to another uid; as anyone else, root's own folder stands in.
		const target = uid === 0 ? home : '/root';
		if (uid === 0) chownSync(home, 65534, 65534);
		const owner = statSync(target).uid;
		expect(owner).not.toBe(uid);
		const result = await runCli(['--no-ui'], { ...sandbox.env, CAO_HOME: target });
		expect(result.code).toBe(1);
		expectOneLine(result.stderr, `cao-tui: ${target} is owned by uid ${owner}, not you (uid ${uid})`);
		expect(existsSync(join(target, 'cao.db'))).toBe(false);
	});

	it('refuses a CAO_HOME that is a file', async () => {
		const file = join(sandbox.home, 'cao.db');
		const result = await runCli(['flow', 'list'], sandbox.env);
		expect(result.code).toBe(0);
		const engine = await runCli(['--no-ui'], { ...sandbox.env, CAO_HOME: file });
		expect(engine.code).toBe(1);
		expectOneLine(engine.stderr, `cao-tui: ${file} is not a folder`);
	});

	it('a client command run first (flow list, profile install) leaves a CAO_HOME the engine accepts', async () => {
		const home = join(sandbox.home, 'first-use');
		expect((await runCli(['flow', 'list'], { ...sandbox.env, CAO_HOME: home })).code).toBe(0);
		expect(statSync(home).mode & 0o777).toBe(0o700);
		const other = join(sandbox.home, 'profile-first');
		writeFileSync(join(sandbox.home, 'tester.md'), '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		const installed = await runCli(['profile', 'install', join(sandbox.home, 'tester.md')], {
			...sandbox.env,
			CAO_HOME: other,
		});
		expect(installed.code).toBe(0);
		expect(statSync(other).mode & 0o777).toBe(0o700);
		const engine = startCli(['--no-ui'], { ...sandbox.env, CAO_HOME: home });
		try {
			await waitFor(() => engine.lines.length > 0, { what: 'engine.started', state: engine.stderr });
			expect(engine.stderr()).toBe('');
		} finally {
			engine.child.kill('SIGTERM');
			expect(await engine.exited).toBe(0);
		}
	});
});
