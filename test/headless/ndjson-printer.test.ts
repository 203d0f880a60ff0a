import { afterEach, beforeEach, expect, it } from 'vitest';
import { printEvents } from '../../source/headless/ndjson-printer.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend } from '../helpers/sandbox.js';
import { nextEvent } from '../helpers/wait-for.js';

describeEachBackend('NDJSON event stream', (backend) => {
	let t: TestEngine;
	beforeEach(async () => {
		t = await startTestEngine({ backend });
	});
	afterEach(async () => {
		await t.dispose();
	});

	it('prints each status change of a turn with its evidence, one JSON object per line', async () => {
		const lines: string[] = [];
		printEvents(t.engine.bus, (line) => lines.push(line));
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		const done = nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
		await t.engine.terminals.sendInput(terminal.id, 'status please');
		await done;

		expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
		const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
		expect(events.some((event) => String(event.topic).endsWith('.output'))).toBe(false);
		expect(events[0]).toMatchObject({ topic: `terminal.${terminal.id}.created`, provider: 'fake' });
		const statuses = events.filter((event) => event.topic === `terminal.${terminal.id}.status`);
		expect(statuses.map(({ previous, status }) => `${previous}→${status}`)).toEqual([
			'unknown→idle',
			'idle→processing',
			'processing→completed',
		]);
		// Input sent is the evidence that a turn began.
		expect(
			events.some((event) => event.topic === `terminal.${terminal.id}.input` && event.kind === 'text'),
		).toBe(true);
		expect(statuses[1]).toMatchObject({ rule: 'cao.input-sent', line: '' });
		expect(statuses[2]).toMatchObject({ rule: 'fake.reply-then-prompt', line: '● Echo: status please' });
		for (const status of statuses) expect(status.at).toEqual(expect.any(Number));
	});
});
