import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timesSuffix } from '../../source/engine/logs/log-writer.js';
import { parseTimedLog, replayEvents } from '../../source/headless/replay.js';
import { runCli } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend } from '../helpers/sandbox.js';
import { nextEvent } from '../helpers/wait-for.js';

describeEachBackend('replay of a terminal log', (backend) => {
	let t: TestEngine;
	beforeEach(async () => {
		t = await startTestEngine({ backend });
	});
	afterEach(async () => {
		await t.dispose();
	});

	it('gives the same status timeline as the engine published live', async () => {
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		for (const input of ['first question', '!long']) {
			const done = nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
			await t.engine.terminals.sendInput(terminal.id, input);
			await done;
		}
		await t.engine.logWriter.flush();
		const live = t.statuses(terminal.id);
		expect(live).toEqual(['idle', 'processing', 'completed', 'processing', 'completed']);

		const log = t.engine.logWriter.pathOf(terminal.id);
		const { events, note } = parseTimedLog(readFileSync(log), readFileSync(`${log}${timesSuffix}`, 'utf8'));
		expect(note).toBeUndefined();
		expect(events.filter((event) => event.kind === 'input')).toHaveLength(2);
		const steps = await replayEvents({ events, provider: 'fake', profile: null, speed: 4 });
		expect(steps.map((step) => (step.kind === 'input' ? 'input' : step.status))).toEqual([
			'idle',
			'input',
			'processing',
			'completed',
			'input',
			'processing',
			'completed',
		]);
		// Times are on the log's own clock, in order.
		const times = steps.map((step) => step.at);
		expect(times).toEqual([...times].sort((a, b) => a - b));

		const cli = await runCli(['replay', '--provider', 'fake', '--speed', '4', log], t.sandbox.env);
		expect(cli.code).toBe(0);
		expect(cli.stdout).toMatch(/^\s+\+\d+\.\d{3}s {2}unknown → idle {2}\[fake\.prompt\] "❯"$/m);
		expect(cli.stdout).toMatch(
			/processing → completed {2}\[fake\.reply-then-prompt\] "● Here is a long answer/,
		);
	});
});

describe('parseTimedLog', () => {
	it('cuts a log without timing into chunks, keeps characters whole, and says so', () => {
		const text = `${'é'.repeat(3000)}end`;
		const { events, note } = parseTimedLog(Buffer.from(text), null);
		expect(note).toMatch(/^no timing file/);
		expect(events.map((event) => (event.kind === 'output' ? event.data : '')).join('')).toBe(text);
		expect(events.length).toBeGreaterThan(1);
	});

	it('feeds bytes past the end of the timing file too', () => {
		const { events, note } = parseTimedLog(Buffer.from('abcdef'), 'o 1000 2\ni 1100 0\no 1200 2\n');
		expect(events).toEqual([
			{ kind: 'output', at: 1000, data: 'ab' },
			{ kind: 'input', at: 1100 },
			{ kind: 'output', at: 1200, data: 'cd' },
			{ kind: 'output', at: 1250, data: 'ef' },
		]);
		expect(note).toBe('2 bytes after the end of the timing file are fed in 4 KB chunks 50 ms apart');
	});
});
