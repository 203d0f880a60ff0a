import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProfileStore } from '../../source/profiles/profile-store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { hasTmux } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.js';
import { ensureInstalled, type RealCli, realFolder, selectedClis } from './real-clis.js';

/*
 * The orchestration on real programs: a Claude Code supervisor whose model (the fake server,
 * scripted) calls cao's MCP `handoff`; the worker is a real Codex in the supervisor's session; its
 * reply comes back as the tool result, and the supervisor's final reply quotes it.
 */

const chosen = selectedClis();
const claude = chosen.find((cli) => cli.provider === 'claude_code');
const codex = chosen.find((cli) => cli.provider === 'codex');
const pair = claude && codex ? ([claude, codex] as const) : undefined;

const task = 'Write the word banana';
const workerReply = `FAKE-REPLY: ${task}`;
const supervisorReply = (result: string) => `The worker said: ${result}`;

/** On tmux (where installed) and on the pty backend. */
const backends = (['tmux', 'pty'] as const).filter((backend) => backend === 'pty' || hasTmux);
if (!hasTmux) describe.skip('handoff on tmux [skipped: tmux is not installed]', () => {});

(pair ? describe.each(backends) : describe.skip.each(backends))(
	`handoff from a real Claude Code to a real Codex (%s)${pair ? '' : ' [skipped: needs claude_code and codex in CAO_REAL_CLIS]'}`,
	(backend) => {
		let server: FakeModelServer;
		let test: TestEngine;

		beforeAll(async () => {
			for (const cli of pair as readonly RealCli[]) await ensureInstalled(cli);
			server = await startFakeModelServer({
				reply: (prompt, { tools, toolResult }) => {
					if (toolResult !== undefined) return { text: supervisorReply(toolResult) };
					const handoff = tools.find((name) => name.endsWith('handoff'));
					if (/\bdelegate\b/.test(prompt) && handoff)
						return {
							text: '',
							toolCall: { name: handoff, arguments: { agent_profile: 'worker', message: task } },
						};
					return undefined;
				},
			});
			test = await startTestEngine({ backend, api: true });
			const profile = join(test.sandbox.home, 'worker.md');
			writeFileSync(profile, '---\nname: worker\nprovider: codex\n---\nYou do what you are asked.\n');
			await createProfileStore({ storeDir: test.sandbox.paths.agentStore }).install(profile);
		}, 15 * 60_000);

		afterAll(async () => {
			if (test) {
				for (const record of test.engine.terminals.list()) await test.engine.terminals.remove(record.id);
				await test.dispose();
			}
			await server?.close();
		});

		it('the worker’s reply comes back as the tool result, quoted by the supervisor', async () => {
			const [supervisorCli, workerCli] = pair as readonly [RealCli, RealCli];
			const home = join(test.sandbox.home, 'agent-home');
			mkdirSync(home, { recursive: true });
			// One home for both CLIs; the session's environment reaches the worker too.
			const env = {
				...supervisorCli.prepare(home, server.url),
				...workerCli.prepare(home, server.url),
				PATH: `${(await Promise.all([ensureInstalled(supervisorCli), ensureInstalled(workerCli)])).join(':')}:${process.env.PATH ?? ''}`,
			};
			const supervisor = await test.engine.terminals.create({
				provider: 'claude_code',
				session: 'team',
				workingDirectory: realFolder(join(test.sandbox.home, 'work')),
				env,
			});
			const statuses: string[] = [];
			test.engine.bus.on(`terminal.${supervisor.id}.status`, ({ status }) => statuses.push(status));
			await test.engine.terminals.sendInput(supervisor.id, 'Please delegate the banana task');
			await waitFor(() => statuses.includes('completed'), {
				timeoutMs: 240_000,
				what: 'the supervisor to finish',
			});
			expect(await test.engine.terminals.getOutput(supervisor.id, 'last')).toBe(supervisorReply(workerReply));
			// The worker answered in the supervisor's session, then was closed.
			const worker = server.turns.find((turn) => turn.api === 'responses' && turn.prompt.includes(task));
			expect(worker?.text).toBe(workerReply);
			expect(test.engine.terminals.list().map((record) => record.id)).toEqual([supervisor.id]);
			expect(statuses).toEqual(['processing', 'completed']);
		}, 300_000);
	},
);
