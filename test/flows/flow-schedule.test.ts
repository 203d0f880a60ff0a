import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../source/engine/bus.js';
import { type Db, openDatabase } from '../../source/engine/store/database.js';
import { createFlowRepository } from '../../source/engine/store/flow-repository.js';
import { createFlowService, type FlowTerminals } from '../../source/flows/flow-service.js';
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
		repository.add('skipper', flowFile('skipper', false), at('2026-11-24T08:00:00Z'));
		repository.add('catcher', flowFile('catcher', true), at('2026-11-24T08:00:00Z'));
		repository.add('later', flowFile('later', true), at('2026-11-24T13:00:00Z'));
		repository.add('off', flowFile('off', true), at('2026-11-24T08:00:00Z'));
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
		repository.add('soon', flowFile('soon', false), Date.now() + 100);
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
		repository.add('stuck', file, null);
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
});
