import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { createSandbox, describeEachBackend, type Sandbox, windowNames } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

describeEachBackend('client commands of a running engine', (backend) => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox(backend);
	});
	afterEach(() => sandbox.dispose());

	it('say in one line how to start an engine when none runs', async () => {
		for (const args of [['status'], ['send', 'ab12cd34', 'hi'], ['launch', '--agents', 'developer']]) {
			const result = await runCli(args, sandbox.env);
			expect(result.code).toBe(1);
			expect(result.stderr).toBe(
				'cao-tui: no engine is running for this CAO_HOME: start one with `cao-tui` or `cao-tui --no-ui`\n',
			);
		}
	});

	it('launch, send, message, status and shutdown through the control socket', async () => {
		const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '200' };
		const engine = startCli(['--no-ui'], env);
		try {
			await waitFor(() => engine.lines.length > 0, { what: 'engine.started' });
			const profile = join(sandbox.home, 'tester.md');
			writeFileSync(profile, '---\nname: tester\nprovider: fake\n---\nYou test.\n');
			expect((await runCli(['profile', 'install', profile], env)).code).toBe(0);

			const launched = await runCli(
				[
					'launch',
					'--agents',
					'tester',
					'--env',
					'FAKE_AGENT_THINK_MS=100',
					'--headless',
					'first task',
					'--wait',
				],
				env,
			);
			expect(launched.stderr).toBe('');
			const [line, reply] = launched.stdout.trimEnd().split('\n');
			const id = line?.split(' ')[0] ?? '';
			expect(line).toMatch(/^[0-9a-f]{8} {2}cao-[0-9a-f]{8}:tester-[0-9a-f]{8} {2}fake {2}idle$/);
			expect(reply).toBe('Echo: first task');

			const status = await runCli(['status'], env);
			expect(status.stdout).toMatch(
				new RegExp(`^${id}\\s+cao-${id}\\s+tester\\s+fake\\s+completed\\s+\\d+s$`, 'm'),
			);
			expect(await runCli(['send', id, 'second', 'task'], env)).toMatchObject({
				code: 0,
				stdout: `sent to ${id}\n`,
			});
			await waitFor(
				async () => (await runCli(['output', id, '--last'], env)).stdout === 'Echo: second task\n',
				{
					what: 'the second reply',
				},
			);
			const queued = await runCli(['message', id, 'from the user'], env);
			expect(queued.stdout).toMatch(new RegExp(`^queued message \\d+ for ${id}\\n$`));
			await waitFor(
				async () =>
					(await runCli(['output', id, '--last'], env)).stdout ===
					'Echo: from the user [Message from terminal user. Use send_message to reply.]\n',
				{ what: 'the message turn' },
			);

			// Why it has its status, as the panel's `e` shows it (once the quiet window has passed).
			const explained = new RegExp(
				`^${id}: completed for \\d+s\nrule: fake\\.reply-then-prompt\nline: ● Echo: from the user`,
			);
			let explanation = '';
			await waitFor(async () => explained.test((explanation = (await runCli(['status', id], env)).stdout)), {
				what: 'the status explained',
				state: () => explanation,
			});

			const two = await runCli(['launch', '--agents', 'tester,tester', '--json'], env);
			const records = two.stdout
				.trim()
				.split('\n')
				.map((text) => JSON.parse(text) as { session: string });
			expect(records).toHaveLength(2);
			expect(records[0]?.session).toBe(records[1]?.session);
			// A provider, session and folder of the caller's choosing; status --json shows them.
			const crew = await runCli(
				[
					'launch',
					'--agents',
					'tester',
					'--provider',
					'shell',
					'--session',
					'crew',
					'--working-directory',
					sandbox.home,
					'--json',
				],
				env,
			);
			const crewId = (JSON.parse(crew.stdout) as { id: string }).id;
			const listed = JSON.parse((await runCli(['status', '--json'], env)).stdout) as Record<
				string,
				unknown
			>[];
			expect(listed.find((record) => record.id === crewId)).toMatchObject({
				session: 'cao-crew',
				provider: 'shell',
				profile: 'tester',
				workingDirectory: sandbox.home,
			});
			expect((await runCli(['output', crewId], env)).stdout).toMatch(/^cao\$/m);
			// A pty terminal lives in the engine's process: only its panel attaches.
			if (backend === 'pty')
				expect((await runCli(['attach', crewId], env)).stderr).toBe(
					`cao-tui: terminal ${crewId} runs inside the engine (pty backend): attach from its panel (Enter, then Ctrl-] to come back)\n`,
				);
			expect(await runCli(['shutdown', '--session', 'crew'], env)).toMatchObject({
				stdout: 'removed 1 terminal\n',
			});
			expect(await runCli(['kill', id], env)).toMatchObject({ code: 0, stdout: `killed ${id}\n` });
			expect((await runCli(['kill', id], env)).stderr).toBe(`cao-tui: unknown terminal '${id}'\n`);
			expect(await runCli(['shutdown', '--all'], env)).toMatchObject({ stdout: 'removed 2 terminals\n' });
			if (backend === 'tmux')
				expect(windowNames(sandbox).filter((name) => name.startsWith('tester-'))).toEqual([]);
			expect((await runCli(['status'], env)).stdout).toBe('no terminals\n');
			expect((await runCli(['shutdown', '--session', 'nothing'], env)).stderr).toBe(
				"cao-tui: no terminals in session 'nothing'\n",
			);
		} finally {
			engine.child.kill('SIGTERM');
			await engine.exited;
		}
	}, 60_000);
});
