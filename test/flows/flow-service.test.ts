import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FlowRecord } from '../../source/engine/store/flow-repository.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend } from '../helpers/sandbox.js';

describeEachBackend('flows with the fake agent', (backend) => {
	let t: TestEngine;
	let folder: string;
	beforeEach(async () => {
		t = await startTestEngine({ backend, env: { FAKE_AGENT_THINK_MS: '200' } });
		folder = join(t.sandbox.home, 'my-flows');
		mkdirSync(folder);
		writeFileSync(join(t.sandbox.home, 'tester.md'), '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		await t.engine.profiles.install(join(t.sandbox.home, 'tester.md'));
	});
	afterEach(async () => {
		await t.dispose();
	});

	/** Writes a flow file (and its gate script) and registers it. */
	const addFlow = (name: string, extra: string, body: string, script?: string) => {
		if (script) {
			writeFileSync(join(folder, `${name}.sh`), script);
			chmodSync(join(folder, `${name}.sh`), 0o755);
		}
		const file = join(folder, `${name}.md`);
		writeFileSync(
			file,
			`---\nname: ${name}\nschedule: "0 9 * * *"\nagent_profile: tester\n${extra}---\n${body}\n`,
		);
		t.engine.flows.repository.add(name, file, null, { schedule: '0 9 * * *' });
	};
	const record = (name: string) => t.engine.flows.repository.get(name) as FlowRecord;
	const flowEvents = (name: string) =>
		t.events
			.filter((event) => event.topic.startsWith(`flow.${name}.`))
			.map((event) => event.topic.split('.')[2]);

	it('runs a flow to completed, the reply recorded, in session cao-flow-NAME', async () => {
		addFlow('morning', '', 'Summarise the day');
		await t.engine.flows.run('morning');
		expect(record('morning')).toMatchObject({
			lastResult: 'completed',
			lastDetail: 'Echo: Summarise the day',
		});
		expect(flowEvents('morning')).toEqual(['started', 'completed']);
		expect(t.engine.terminals.get(record('morning').terminalId ?? '')).toMatchObject({
			session: 'cao-flow-morning',
		});

		// The next run replaces the previous run's agent.
		const first = record('morning').terminalId;
		await t.engine.flows.run('morning');
		expect(record('morning').terminalId).not.toBe(first);
		expect(t.engine.terminals.list()).toHaveLength(1);
	});

	it('runs a flow whose name has the most characters allowed (64), in session cao-flow-NAME', async () => {
		const name = `long-${'x'.repeat(59)}`;
		expect(name).toHaveLength(64);
		addFlow(name, '', 'Long names run too');
		await t.engine.flows.run(name);
		expect(record(name)).toMatchObject({ lastResult: 'completed', lastDetail: 'Echo: Long names run too' });
		expect(t.engine.terminals.get(record(name).terminalId ?? '')).toMatchObject({
			session: `cao-flow-${name}`,
		});
	});

	it('leaves the previous run’s agent in place when the gate script fails', async () => {
		addFlow('gated', 'script: ./gated.sh\n', 'Go', '#!/bin/sh\necho \'{"execute": true}\'\n');
		await t.engine.flows.run('gated');
		expect(record('gated').lastResult).toBe('completed');
		const agent = record('gated').terminalId ?? '';
		writeFileSync(join(folder, 'gated.sh'), '#!/bin/sh\necho down >&2\nexit 2\n');
		await t.engine.flows.run('gated');
		expect(record('gated')).toMatchObject({
			lastResult: 'failed',
			lastDetail: 'script exited with 2: down',
			terminalId: agent,
		});
		expect(t.engine.terminals.list().map((terminal) => terminal.id)).toEqual([agent]);
		expect(t.engine.terminals.statusOf(agent)).toBe('completed');
	});

	it('gates on its script: a skip, and a run with the script’s values in the prompt', async () => {
		addFlow('quiet', 'script: ./quiet.sh\n', 'Never sent', '#!/bin/sh\necho \'{"execute": false}\'\n');
		await t.engine.flows.run('quiet');
		expect(record('quiet')).toMatchObject({
			lastResult: 'skipped',
			lastDetail: 'the script said not to run',
		});
		expect(t.engine.terminals.list()).toEqual([]);

		addFlow(
			'down',
			'script: ./down.sh\n',
			'Service [[service]] is down since [[since]]',
			'#!/bin/sh\n[ "$(basename "$PWD")" = my-flows ] || exit 3\necho \'{"execute": true, "output": {"service": "db", "since": "09:00"}}\'\n',
		);
		await t.engine.flows.run('down');
		expect(record('down')).toMatchObject({
			lastResult: 'completed',
			lastDetail: 'Echo: Service db is down since 09:00',
		});
	});

	it('skips a run while the previous run’s agent still works', async () => {
		addFlow('slow', '', 'First');
		await t.engine.flows.run('slow');
		const agent = record('slow').terminalId ?? '';
		await t.engine.terminals.sendInput(agent, '!long');
		await t.engine.flows.run('slow');
		expect(record('slow')).toMatchObject({ lastResult: 'skipped', terminalId: agent });
		expect(record('slow').lastDetail).toMatch(/^busy: /);
	});

	it('runs no gate script (and no agent) that another user could have changed since flow add', async () => {
		const marker = join(folder, 'gate-ran');
		addFlow(
			'opened',
			'script: ./opened.sh\n',
			'x',
			`#!/bin/sh\ntouch '${marker}'\necho '{"execute": true}'\n`,
		);
		chmodSync(join(folder, 'opened.sh'), 0o777);
		await t.engine.flows.run('opened');
		expect(record('opened')).toMatchObject({ lastResult: 'failed' });
		expect(record('opened').lastDetail).toBe(
			`${join(folder, 'opened.sh')} is writable by every user (mode 0777): run chmod o-w ${join(folder, 'opened.sh')}`,
		);
		chmodSync(join(folder, 'opened.sh'), 0o755);
		chmodSync(join(folder, 'opened.md'), 0o646);
		await t.engine.flows.run('opened');
		expect(record('opened').lastDetail).toMatch(/opened\.md is writable by every user \(mode 0646\)/);
		expect(existsSync(marker)).toBe(false);
		expect(t.engine.terminals.list()).toEqual([]);
	});

	it('fails in one line, changing nothing, on a broken file or script', async () => {
		const cases: [string, string, string, string | undefined, RegExp][] = [
			['nojson', 'script: ./nojson.sh\n', 'x', '#!/bin/sh\necho hello\n', /^script printed no JSON/],
			[
				'exit2',
				'script: ./exit2.sh\n',
				'x',
				'#!/bin/sh\necho broken >&2\nexit 2\n',
				/^script exited with 2: broken$/,
			],
			[
				'novar',
				'script: ./novar.sh\n',
				'About [[ticket]]',
				'#!/bin/sh\necho \'{"execute": true}\'\n',
				/^no value for \[\[ticket\]\]$/,
			],
			['missing', 'script: ./nowhere.sh\n', 'x', undefined, /^script not found: /],
		];
		for (const [name, extra, body, script, reason] of cases) {
			addFlow(name, extra, body, script);
			await t.engine.flows.run(name);
			expect(record(name).lastResult, name).toBe('failed');
			expect(record(name).lastDetail, name).toMatch(reason);
			expect(record(name).lastDetail, name).not.toContain('\n');
		}
		writeFileSync(
			join(folder, 'broken.md'),
			'---\nname: broken\nschedule: every day\nagent_profile: tester\n---\nx\n',
		);
		t.engine.flows.repository.add('broken', join(folder, 'broken.md'), null, { schedule: '0 9 * * *' });
		await t.engine.flows.run('broken');
		expect(record('broken').lastDetail).toMatch(/broken\.md: field 'schedule': not a 5-field cron/);
		expect(t.engine.terminals.list()).toEqual([]);
	});
});
