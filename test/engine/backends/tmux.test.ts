import { afterEach, beforeEach, expect, it } from 'vitest';
import { commandSeparator, createTmuxRunner, TmuxError } from '../../../source/engine/backends/tmux.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../../helpers/sandbox.js';

describeWithTmux('tmux runner', () => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => sandbox.dispose());

	const failure = async (promise: Promise<unknown>) => {
		const error = await promise.then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(error).toBeInstanceOf(TmuxError);
		return error as TmuxError;
	};

	it('types a dead or missing server with tmux’s own message', async () => {
		const error = await failure(createTmuxRunner(sandbox.socket).run(['list-sessions']));
		expect(error.kind).toBe('no-server');
		expect(error.message).toMatch(/^tmux list-sessions: (no server running|error connecting to)/);
	});

	it('types a server left with no session (it is exiting) as gone', async () => {
		const tmux = createTmuxRunner(sandbox.socket);
		await tmux.run(['start-server', commandSeparator, 'set-option', '-g', 'exit-empty', 'off']);
		const error = await failure(tmux.run(['list-windows', '-a']));
		expect(error.kind).toBe('no-server');
		expect(error.message).toBe('tmux list-windows: no current target');
	});

	it('types an unknown target', async () => {
		const tmux = createTmuxRunner(sandbox.socket);
		await tmux.run(['new-session', '-d', '-s', 'here']);
		const error = await failure(tmux.run(['kill-window', '-t', '=nowhere:']));
		expect(error.kind).toBe('no-target');
		expect(error.message).toContain("can't find session");
	});

	it('says in one line that tmux is missing', async () => {
		const error = await failure(createTmuxRunner(sandbox.socket, 'no-such-tmux-binary').run(['-V']));
		expect(error.kind).toBe('not-installed');
		expect(error.message).toBe('tmux is not installed (not found on PATH)');
	});

	it('passes arguments ending in a semicolon through literally', async () => {
		const tmux = createTmuxRunner(sandbox.socket);
		await tmux.run(['new-session', '-d', '-s', 'here']);
		await tmux.run(['set-environment', '-g', 'CAO_SEMI', 'a; b;']);
		expect((await tmux.run(['show-environment', '-g', 'CAO_SEMI'])).trim()).toBe('CAO_SEMI=a; b;');
	});

	it('feeds standard input to load-buffer byte for byte', async () => {
		const tmux = createTmuxRunner(sandbox.socket);
		await tmux.run(['new-session', '-d', '-s', 'here']);
		const text = `quotes ' " $(x) \`y\` ; & | < > and ünïcödé ✓`;
		await tmux.run(['load-buffer', '-b', 'probe', '-'], { input: text });
		expect(await tmux.run(['show-buffer', '-b', 'probe'])).toBe(text);
	});
});
