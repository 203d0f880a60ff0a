import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../../source/engine/bus.js';
import { terminalTopic } from '../../../source/engine/events.js';
import { type Db, openDatabase } from '../../../source/engine/store/database.js';
import { createTerminalRepository } from '../../../source/engine/store/terminal-repository.js';
import { createStatusRecorder, statusWriteMs } from '../../../source/engine/terminals/status-recorder.js';
import { insertTerminalRow } from '../../helpers/terminal-rows.js';

let dir: string;
let db: Db;

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'cao-status-recorder-'));
	db = openDatabase(join(dir, 'cao.db'));
	vi.useFakeTimers();
});

afterEach(() => {
	vi.useRealTimers();
	db.close();
	rmSync(dir, { recursive: true, force: true });
});

describe('status recorder', () => {
	it('writes each terminal’s newest status once per interval, and what waits when stopped', () => {
		const bus = createEventBus(() => {});
		const terminals = createTerminalRepository(db);
		for (const id of ['00000001', '00000002']) insertTerminalRow(db, id, { session: 'cao-a', createdAt: 1 });
		const recorder = createStatusRecorder({ bus, terminals });
		recorder.start();
		const publish = (id: string, status: 'processing' | 'completed', at: number) =>
			bus.emit(terminalTopic(id, 'status'), {
				terminalId: id,
				status,
				previous: 'idle',
				rule: 'test',
				line: '',
				at,
			});
		const stored = (id: string) => {
			const record = terminals.get(id);
			return record && [record.lastStatus, record.lastActiveAt];
		};

		publish('00000001', 'processing', 10);
		publish('00000001', 'completed', 20);
		publish('00000002', 'processing', 30);
		expect(stored('00000001')).toEqual(['idle', 1]);
		vi.advanceTimersByTime(statusWriteMs);
		expect(stored('00000001')).toEqual(['completed', 20]);
		expect(stored('00000002')).toEqual(['processing', 30]);

		publish('00000002', 'completed', 40);
		recorder.stop();
		expect(stored('00000002')).toEqual(['completed', 40]);
		// Stopped: it no longer listens.
		publish('00000002', 'processing', 50);
		vi.advanceTimersByTime(statusWriteMs);
		expect(stored('00000002')).toEqual(['completed', 40]);
	});
});
