import { afterEach, expect, it } from 'vitest';
import { requestEngine } from '../../../source/api/client.js';
import type { TerminalRecord } from '../../../source/engine/store/terminal-repository.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { startCli } from '../../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';
import { createEngine } from '../../../source/engine/engine.js';

describeWithTmux('a new engine takes over the terminals of the one before', () => {
	let sandbox: Sandbox | undefined;
	let t: TestEngine | undefined;
	afterEach(async () => {
		await t?.dispose();
		sandbox?.dispose();
		t = undefined;
		sandbox = undefined;
	});

	it('reads them again, judged from their screens, and marks those whose window went', async () => {
		t = await startTestEngine();
		const kept = await t.engine.terminals.create({ provider: 'fake' });
		const gone = await t.engine.terminals.create({ provider: 'fake' });
		await t.engine.stop();
		t.sandbox.tmux('kill-window', '-t', `=${gone.session}:=${gone.window}`);

		const next = createEngine({
			paths: t.sandbox.paths,
			tmuxSocket: t.sandbox.socket,
			env: { ...process.env },
		});
		const statuses: string[] = [];
		next.bus.on('terminal.*.status', ({ terminalId, status }) => {
			if (terminalId === kept.id) statuses.push(status);
		});
		try {
			await next.start();
			expect(next.terminals.list().map((record) => record.id)).toEqual([kept.id]);
			expect(next.monitor.getStatus(kept.id)).toMatchObject({ status: 'idle', rule: 'fake.prompt' });
			await next.terminals.sendInput(kept.id, 'are you there');
			await waitFor(() => statuses.includes('completed'), { what: 'a turn on the adopted terminal' });
			expect(await next.terminals.getOutput(kept.id, 'last')).toBe('Echo: are you there');
		} finally {
			await next.stop();
		}
	});

	it('delivers messages left pending by an engine killed with kill -9, none twice', async () => {
		sandbox = createSandbox();
		const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '1500' };
		const api = (method: string, path: string, body?: unknown) =>
			requestEngine(sandbox?.paths.socket ?? '', method, path, body);
		const first = startCli(['--no-ui'], env);
		await waitFor(() => first.lines.length > 0, { what: 'the first engine' });
		const receiver = (await api('POST', '/terminals', { provider: 'fake' })) as TerminalRecord;
		await api('POST', `/terminals/${receiver.id}/input`, { text: 'a long task' });
		for (const body of ['one', 'two', 'three'])
			await api('POST', '/inbox', { senderId: 'aaaa0001', receiverId: receiver.id, message: body });
		first.child.kill('SIGKILL');
		await first.exited;

		const second = startCli(['--no-ui'], env);
		try {
			await waitFor(() => second.lines.length > 0, { what: 'the second engine' });
			await waitFor(
				async () => ((await api('GET', `/inbox/${receiver.id}?status=delivered`)) as unknown[]).length === 3,
				{ what: 'the deliveries', timeoutMs: 20_000 },
			);
			await waitFor(
				async () =>
					(
						(await api('GET', `/terminals/${receiver.id}/output?mode=last`)) as { output: string }
					).output.startsWith('Echo: one two three'),
				{ what: 'the message turn', timeoutMs: 20_000 },
			);
			const screen = ((await api('GET', `/terminals/${receiver.id}/output`)) as { output: string }).output;
			expect(screen.split('Echo: one two three').length - 1).toBe(1);
		} finally {
			second.child.kill('SIGTERM');
			await second.exited;
		}
	}, 60_000);
});
