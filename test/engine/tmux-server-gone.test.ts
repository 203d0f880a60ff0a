import { afterEach, expect, it } from 'vitest';
import { requestEngine } from '../../source/api/client.js';
import { openDatabase } from '../../source/engine/store/database.js';
import type { TerminalRecord } from '../../source/engine/store/terminal-repository.js';
import { startCli } from '../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The tmux server killed under a running engine process (the backend's and the terminal service's
 * own tests cover the exit events): the engine process lives on, its rows say the terminals
 * ended, its control API answers, and it starts terminals on a new server.
 */
describeWithTmux('a running engine whose tmux server is killed', () => {
	let sandbox: Sandbox | undefined;
	let engine: ReturnType<typeof startCli> | undefined;
	afterEach(async () => {
		engine?.child.kill('SIGTERM');
		await engine?.exited;
		sandbox?.dispose();
		[sandbox, engine] = [undefined, undefined];
	});

	it('marks every terminal exited with the reason, keeps serving, and starts new ones on a new server', async () => {
		sandbox = createSandbox('tmux');
		const box = sandbox;
		const cli = startCli(['--no-ui'], box.env);
		engine = cli;
		const api = (method: string, path: string, body?: unknown) =>
			requestEngine(box.paths.socket, method, path, body);
		await waitFor(() => cli.lines.length > 0, { what: 'the engine', state: cli.stderr });
		const created = await Promise.all(
			['fake', 'shell'].map((provider) => api('POST', '/terminals', { provider }) as Promise<TerminalRecord>),
		);

		box.tmux('kill-server');

		const exits = () => cli.events().filter((event) => String(event.topic).endsWith('.exited'));
		await waitFor(() => exits().length === 2, { what: 'both exits', state: () => cli.lines.join('\n') });
		expect(exits().map((event) => event.reason)).toEqual([
			'window closed (tmux server gone)',
			'window closed (tmux server gone)',
		]);
		const db = openDatabase(box.paths.database);
		const rows = db.prepare('SELECT id, exited_at FROM terminals ORDER BY id').all() as {
			id: string;
			exited_at: number | null;
		}[];
		db.close();
		expect(rows.map((row) => row.id)).toEqual(created.map((record) => record.id).sort());
		for (const row of rows) expect(row.exited_at).toEqual(expect.any(Number));

		// The API answers: no terminals, no sessions (no server to ask is none running).
		expect(await api('GET', '/terminals')).toEqual([]);
		expect(await api('GET', '/sessions')).toEqual([]);
		expect(await api('GET', '/health')).toMatchObject({ backend: 'tmux' });
		// A new terminal starts a new server and works.
		const fresh = (await api('POST', '/terminals', { provider: 'fake' })) as TerminalRecord;
		expect(box.tmux('list-windows', '-a', '-F', '#{window_name}')).toContain(fresh.window);
		await api('POST', `/terminals/${fresh.id}/input`, { text: 'after the crash' });
		await waitFor(
			async () =>
				((await api('GET', `/terminals/${fresh.id}/output?mode=last`)) as { output: string }).output ===
				'Echo: after the crash',
			{ what: 'the new terminal to answer', timeoutMs: 15_000 },
		);
		expect(((await api('GET', '/terminals')) as TerminalRecord[]).map((record) => record.id)).toEqual([
			fresh.id,
		]);
		expect(cli.child.exitCode).toBeNull();
		expect(cli.stderr()).toBe('');
	}, 30_000);
});
