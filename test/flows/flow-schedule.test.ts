import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from '../../source/engine/bus.js';
import { terminalTopic } from '../../source/engine/events.js';
import { type Db, openDatabase } from '../../source/engine/store/database.js';
import { createFlowRepository, type FlowRepository } from '../../source/engine/store/flow-repository.js';
import { nextRunAfter } from '../../source/flows/flow.js';
import {
	createFlowService,
	type FlowServiceOptions,
	type FlowTerminals,
} from '../../source/flows/flow-service.js';
import { waitFor } from '../helpers/wait-for.js';

/** The scheduler on an injected clock, a real SQLite file and terminals the test stands in for. */
describe('flow schedule at engine start', () => {
	let folder: string;
	let db: Db;
	let created: string[];
	const at = (iso: string) => Date.parse(iso);
	const terminals: FlowTerminals = {
		create: async () => {
			created.push('agent');
			return { id: `a000000${created.length}` };
		},
		statusOf: () => 'idle',
		remove: async () => {},
		sendInput: async () => {},
		lastReply: async () => 'done',
	};

	beforeEach(() => {
		folder = mkdtempSync(join(tmpdir(), 'cao-flows-'));
		db = openDatabase(join(folder, 'cao.db'));
		created = [];
	});
	afterEach(() => {
		db.close();
		rmSync(folder, { recursive: true, force: true });
	});

	const hourly = { schedule: '0 * * * *', timezone: 'UTC' };
	const berlinNight = { schedule: '30 2 * * *', timezone: 'Europe/Berlin' };
	const flowFile = (name: string, catchup: boolean) => {
		const file = join(folder, `${name}.md`);
		writeFileSync(
			file,
			`---\nname: ${name}\nschedule: "0 * * * *"\ntimezone: UTC\nagent_profile: p\ncatchup: ${catchup}\n---\nGo\n`,
		);
		return file;
	};

	it('skips runs missed while no engine ran, or runs once with catchup; next runs are after now', async () => {
		const repository = createFlowRepository(db);
		repository.add('skipper', flowFile('skipper', false), at('2026-11-24T08:00:00Z'), hourly);
		repository.add('catcher', flowFile('catcher', true), at('2026-11-24T08:00:00Z'), hourly);
		repository.add('later', flowFile('later', true), at('2026-11-24T13:00:00Z'), hourly);
		repository.add('off', flowFile('off', true), at('2026-11-24T08:00:00Z'), hourly);
		repository.setEnabled('off', false, null);
		const bus = createEventBus((error) => {
			throw error;
		});
		const topics: string[] = [];
		bus.onAny((topic) => topics.push(topic));
		const service = createFlowService({
			bus,
			flows: repository,
			terminals,
			now: () => at('2026-11-24T12:10:00Z'),
		});
		await service.start();
		service.stop();
		expect(repository.get('skipper')).toMatchObject({
			lastResult: 'skipped',
			lastDetail: 'missed while no engine ran',
			nextRun: at('2026-11-24T13:00:00Z'),
		});
		expect(repository.get('later')).toMatchObject({ lastResult: null, nextRun: at('2026-11-24T13:00:00Z') });
		expect(repository.get('off')).toMatchObject({ lastResult: null, nextRun: null });
		// The catch-up run was started at once.
		await waitFor(() => repository.get('catcher')?.lastResult === 'started', { what: 'the catch-up run' });
		expect(topics).toContain('flow.catcher.started');
		expect(created).toHaveLength(1);
	});

	it('runs a flow when its time comes, and sets the next run after it', async () => {
		const repository = createFlowRepository(db);
		const bus = createEventBus((error) => {
			throw error;
		});
		const service = createFlowService({ bus, flows: repository, terminals, tickMs: 50, turnTimeoutMs: 500 });
		await service.start();
		// Added while the engine runs (as `cao-tui flow add` does), due in a moment.
		repository.add('soon', flowFile('soon', false), Date.now() + 100, hourly);
		await waitFor(() => repository.get('soon')?.lastResult === 'started', { what: 'the scheduled run' });
		await waitFor(() => (repository.get('soon')?.nextRun ?? 0) > Date.now(), { what: 'the next run' });
		service.stop();
		expect(created).toHaveLength(1);
	});

	it('fails a run whose gate script outlives its time, in one line, starting no agent', async () => {
		const repository = createFlowRepository(db);
		const file = flowFile('stuck', false);
		writeFileSync(
			file,
			readFileSync(file, 'utf8').replace('catchup: false', 'catchup: false\nscript: ./stuck.sh'),
		);
		writeFileSync(join(folder, 'stuck.sh'), '#!/bin/sh\nsleep 5\n');
		chmodSync(join(folder, 'stuck.sh'), 0o755);
		repository.add('stuck', file, null, hourly);
		const bus = createEventBus((error) => {
			throw error;
		});
		const service = createFlowService({ bus, flows: repository, terminals, scriptTimeoutMs: 200 });
		await service.run('stuck');
		expect(repository.get('stuck')).toMatchObject({
			lastResult: 'failed',
			lastDetail: 'script timed out after 0.2s',
		});
		expect(created).toEqual([]);
	});
	/** Terminals whose agent ends its turn as soon as it gets the prompt, so runs complete. */
	const completing = (bus: EventBus): FlowTerminals => ({
		...terminals,
		sendInput: async (id) => {
			bus.emit(terminalTopic(id, 'status'), {
				terminalId: id,
				status: 'completed',
				previous: 'processing',
				rule: 'test',
				line: '',
				at: Date.now(),
			});
		},
	});
	/** A bus recording each flow's results in order ("morning" → ["failed", "started", …]). */
	const recordingBus = () => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const results = new Map<string, string[]>();
		bus.onAny((topic) => {
			const [kind, flow, result] = topic.split('.');
			if (kind === 'flow' && flow && result) results.set(flow, [...(results.get(flow) ?? []), result]);
		});
		return { bus, results: (flow: string) => results.get(flow) ?? [] };
	};
	/**
	 * A service on an injected clock (`clock.now`, set by the test) whose runs complete at once,
	 * ticking every 10 ms, recording each flow's results.
	 */
	const clockedService = (
		repository: FlowRepository,
		start: number,
		extra: Partial<FlowServiceOptions> = {},
	) => {
		const { bus, results } = recordingBus();
		const clock = { now: start };
		const service = createFlowService({
			bus,
			flows: repository,
			terminals: completing(bus),
			now: () => clock.now,
			tickMs: 10,
			...extra,
		});
		return { service, results, clock };
	};

	it('follows a schedule edited in the file from the run that reads it', async () => {
		const repository = createFlowRepository(db);
		const file = flowFile('edited', false);
		repository.add('edited', file, at('2026-11-24T12:00:00Z'), hourly);
		writeFileSync(file, readFileSync(file, 'utf8').replace('"0 * * * *"', '"30 * * * *"'));
		const { service } = clockedService(repository, at('2026-11-24T11:40:00Z'));
		await service.run('edited');
		expect(repository.get('edited')).toMatchObject({
			schedule: '30 * * * *',
			timezone: 'UTC',
			nextRun: at('2026-11-24T12:30:00Z'),
		});
	});

	it('fails a run whose file cannot be read, and keeps its schedule: the next run works', async () => {
		const repository = createFlowRepository(db);
		const file = flowFile('hourly', false);
		repository.add('hourly', file, at('2026-11-24T12:00:00Z'), hourly);
		const { service, results, clock } = clockedService(repository, at('2026-11-24T11:30:00Z'));
		await service.start();
		try {
			renameSync(file, `${file}.away`);
			clock.now = at('2026-11-24T12:00:00Z');
			await waitFor(() => results('hourly').includes('failed'), { what: 'the failed run' });
			const failed = repository.get('hourly');
			expect(failed?.lastDetail).toBe(`cannot read ${file} (ENOENT)`);
			expect(failed?.nextRun).toBe(at('2026-11-24T13:00:00Z'));

			renameSync(`${file}.away`, file);
			clock.now = at('2026-11-24T13:00:00Z');
			await waitFor(() => repository.get('hourly')?.lastResult === 'completed', { what: 'the next run' });
			await waitFor(() => repository.get('hourly')?.nextRun === at('2026-11-24T14:00:00Z'), {
				what: 'the run after',
			});
			expect(results('hourly')).toEqual(['failed', 'started', 'completed']);
		} finally {
			service.stop();
		}
	});

	it('keeps the schedule last read of a flow whose file cannot be read at start', async () => {
		const repository = createFlowRepository(db);
		const file = flowFile('kept', false);
		repository.add('kept', file, at('2026-11-24T12:00:00Z'), hourly);
		renameSync(file, `${file}.away`);
		const { service } = clockedService(repository, at('2026-11-24T12:10:00Z'));
		await service.start();
		service.stop();
		expect(repository.get('kept')).toMatchObject({
			lastResult: 'failed',
			nextRun: at('2026-11-24T13:00:00Z'),
		});
	});

	it('tries again later a flow whose file was never read (a store from before schedules were kept)', async () => {
		const repository = createFlowRepository(db);
		const file = flowFile('lost', false);
		repository.add('lost', file, at('2026-11-24T12:00:00Z'), hourly);
		db.prepare("UPDATE flows SET schedule = NULL, timezone = NULL WHERE name = 'lost'").run();
		renameSync(file, `${file}.away`);
		const { service, results, clock } = clockedService(repository, at('2026-11-24T12:10:00Z'), {
			retryMs: 15 * 60_000,
		});
		await service.start();
		try {
			// Its schedule is unknown: the retry comes after retryMs, not never.
			expect(repository.get('lost')).toMatchObject({
				lastResult: 'failed',
				nextRun: at('2026-11-24T12:25:00Z'),
			});
			renameSync(`${file}.away`, file);
			clock.now = at('2026-11-24T12:25:00Z');
			await waitFor(() => repository.get('lost')?.lastResult === 'completed', { what: 'the retried run' });
			// Read again, the file gives the schedule back.
			await waitFor(() => repository.get('lost')?.nextRun === at('2026-11-24T13:00:00Z'), {
				what: 'the next run on schedule',
			});
			expect(results('lost')).toEqual(['failed', 'started', 'completed']);
		} finally {
			service.stop();
		}
	});

	it('runs a time that comes twice at the DST fall-back once (30 2 * * * in Berlin, 2026-10-25)', async () => {
		const repository = createFlowRepository(db);
		const night = join(folder, 'night.md');
		writeFileSync(
			night,
			'---\nname: night\nschedule: "30 2 * * *"\ntimezone: Europe/Berlin\nagent_profile: p\n---\nGo\n',
		);
		// Runs at every half hour UTC: once it ran, the scheduler has looked at that time.
		const witness = flowFile('witness', false);
		writeFileSync(witness, readFileSync(witness, 'utf8').replace('"0 * * * *"', '"30 * * * *"'));
		const start = at('2026-10-25T00:00:00Z');
		repository.add('night', night, nextRunAfter(berlinNight, start), berlinNight);
		repository.add('witness', witness, at('2026-10-25T00:30:00Z'), {
			schedule: '30 * * * *',
			timezone: 'UTC',
		});
		const { service, results, clock } = clockedService(repository, start);
		await service.start();
		const completed = (flow: string) => results(flow).filter((result) => result === 'completed').length;
		try {
			// 02:30 CEST (UTC+2), the first time.
			clock.now = at('2026-10-25T00:30:00Z');
			await waitFor(() => completed('night') === 1 && completed('witness') === 1, { what: 'the 02:30 runs' });
			// 02:30 CET (UTC+1), the same wall-clock time an hour later: not again.
			clock.now = at('2026-10-25T01:30:00Z');
			await waitFor(() => completed('witness') === 2, { what: 'the witness at 01:30 UTC' });
			expect(completed('night')).toBe(1);
			expect(repository.get('night')?.nextRun).toBe(at('2026-10-26T01:30:00Z'));
			// The next night, at 02:30 CET.
			clock.now = at('2026-10-26T01:30:00Z');
			await waitFor(() => completed('night') === 2, { what: 'the next night' });
		} finally {
			service.stop();
		}
	});
});
