import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { createSandbox, describeEachBackend, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

describeEachBackend('cao-tui flow', (backend) => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox(backend);
	});
	afterEach(() => sandbox.dispose());

	it('adds, lists, shows, disables, runs and removes a flow; a broken file changes nothing', async () => {
		const env = { ...sandbox.env, FAKE_AGENT_THINK_MS: '200' };
		writeFileSync(join(sandbox.home, 'tester.md'), '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		expect((await runCli(['profile', 'install', join(sandbox.home, 'tester.md')], env)).code).toBe(0);
		const file = join(sandbox.home, 'daily.md');
		writeFileSync(
			file,
			'---\nname: daily\nschedule: "0 9 * * *"\ntimezone: UTC\nagent_profile: tester\n---\nReport the day\n',
		);

		const added = await runCli(['flow', 'add', file], env);
		expect(added.stdout).toMatch(
			/^added flow daily \(0 9 \* \* \* UTC\), next run \d{4}-\d\d-\d\d 09:00 UTC\n$/,
		);
		const broken = join(sandbox.home, 'broken.md');
		writeFileSync(broken, '---\nname: daily\nschedule: "0 9 * *"\nagent_profile: tester\n---\nx\n');
		const refused = await runCli(['flow', 'add', broken], env);
		expect(refused.code).toBe(1);
		expect(refused.stderr).toMatch(
			/^cao-tui: flow .*broken\.md: field 'schedule': not a 5-field cron expression .*\n$/,
		);
		expect((await runCli(['flow', 'show', 'daily'], env)).stdout).toContain(`# ${file}\n`);

		const list = await runCli(['flow', 'list'], env);
		expect(list.stdout).toMatch(/^daily\s+0 9 \* \* \* UTC\s+yes\s+-\s+-\s+\d{4}-\d\d-\d\d 09:00$/m);
		expect((await runCli(['flow', 'disable', 'daily'], env)).stdout).toBe('disabled flow daily\n');
		expect(JSON.parse((await runCli(['flow', 'list', '--json'], env)).stdout)).toEqual([
			expect.objectContaining({ name: 'daily', enabled: false, nextRun: null }),
		]);

		expect((await runCli(['flow', 'run', 'daily'], env)).stderr).toBe(
			'cao-tui: no engine is running for this CAO_HOME: start one with `cao-tui` or `cao-tui --no-ui`\n',
		);
		const engine = startCli(['--no-ui'], env);
		try {
			await waitFor(() => engine.lines.length > 0, { what: 'engine.started' });
			const run = await runCli(['flow', 'run', 'daily'], env);
			expect(run.stdout).toMatch(/^started in terminal [0-9a-f]{8}\ncompleted: Echo: Report the day\n$/);
			expect(engine.lines.some((line) => line.includes('"topic":"flow.daily.completed"'))).toBe(true);
			expect(JSON.parse((await runCli(['flow', 'show', 'daily', '--json'], env)).stdout)).toMatchObject({
				lastResult: 'completed',
				lastDetail: 'Echo: Report the day',
			});
			expect((await runCli(['flow', 'run', 'nothing'], env)).stderr).toBe(
				"cao-tui: no flow 'nothing' (see cao-tui flow list)\n",
			);
		} finally {
			engine.child.kill('SIGTERM');
			await engine.exited;
		}
		expect((await runCli(['flow', 'remove', 'daily'], env)).stdout).toBe('removed flow daily\n');
		expect((await runCli(['flow', 'list'], env)).stdout).toBe(
			'no flows (add one with cao-tui flow add FILE)\n',
		);
	}, 60_000);
});
