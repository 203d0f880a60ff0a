import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../source/engine/engine.js';
import type { EventMap } from '../../../source/engine/events.js';
import { makeFifo } from '../../../source/engine/fifo/fifo-reader.js';
import { openDatabase } from '../../../source/engine/store/database.js';
import { createInboxRepository } from '../../../source/engine/store/inbox-repository.js';
import { insertTerminalRow } from '../../helpers/terminal-rows.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { createSandbox, itWithTmux, type Sandbox } from '../../helpers/sandbox.js';

const day = 24 * 60 * 60 * 1000;

const aged = (path: string, days: number) => {
	const when = new Date(Date.now() - days * day);
	utimesSync(path, when, when);
};

/** How many rows a terminal has, read through a connection of its own (as another process would). */
const rowsFor = (file: string, id: string) => {
	const db = openDatabase(file);
	try {
		const count = (sql: string) => db.prepare(sql).pluck().get(id) as number;
		return {
			terminals: count('SELECT COUNT(*) FROM terminals WHERE id = ?'),
			messages: count('SELECT COUNT(*) FROM inbox_messages WHERE receiver_id = ?'),
		};
	} finally {
		db.close();
	}
};

describe('retention at engine start', () => {
	let sandbox: Sandbox | undefined;
	let first: TestEngine | undefined;
	let engine: Engine | undefined;
	afterEach(async () => {
		await engine?.stop();
		await first?.dispose();
		sandbox?.dispose();
		[sandbox, first, engine] = [undefined, undefined, undefined];
	});

	/** Starts an engine on `home`, recording its pruned events and warnings. */
	const startOn = async (box: Sandbox, env: Record<string, string> = {}) => {
		const next = createEngine({
			paths: box.paths,
			tmuxSocket: box.socket,
			backend: box.env.CAO_BACKEND === 'pty' ? 'pty' : 'tmux',
			env: { ...process.env, ...env },
		});
		const pruned: EventMap['engine.pruned'][] = [];
		const warnings: string[] = [];
		next.bus.on('engine.pruned', (event) => pruned.push(event));
		next.bus.on('engine.warning', ({ message }) => warnings.push(message));
		engine = next;
		await next.start();
		return { engine: next, pruned, warnings };
	};

	it('removes an old ended terminal with its messages, log, folder and FIFO, and says so once', async () => {
		sandbox = createSandbox();
		const { paths } = sandbox;
		const db = openDatabase(paths.database);
		const inbox = createInboxRepository(db);
		const old = Date.now() - 30 * day;
		insertTerminalRow(db, '0a0a0a0a', { session: 'cao-old', createdAt: old, exitedAt: old });
		inbox.enqueue('user', '0a0a0a0a', 'never read', old);
		db.close();
		mkdirSync(paths.logs, { recursive: true });
		for (const file of ['0a0a0a0a.log', '0a0a0a0a.log.times']) {
			writeFileSync(join(paths.logs, file), 'old output');
			aged(join(paths.logs, file), 30);
		}
		mkdirSync(join(paths.terminals, '0a0a0a0a'), { recursive: true });
		aged(join(paths.terminals, '0a0a0a0a'), 30);
		mkdirSync(paths.fifos, { recursive: true });
		await makeFifo(join(paths.fifos, '0a0a0a0a.fifo'));

		const { engine: started, pruned, warnings } = await startOn(sandbox);

		expect(warnings).toEqual([]);
		expect(pruned).toEqual([
			expect.objectContaining({
				retentionDays: 14,
				message:
					'removed 1 terminal, 1 message, 1 terminal log, 1 config folder, 1 FIFO (older than 14 days)',
			}),
		]);
		expect(started.inbox.list('0a0a0a0a', 'pending')).toEqual([]);
		expect(rowsFor(paths.database, '0a0a0a0a')).toEqual({ terminals: 0, messages: 0 });
		for (const path of [
			join(paths.logs, '0a0a0a0a.log'),
			join(paths.logs, '0a0a0a0a.log.times'),
			join(paths.terminals, '0a0a0a0a'),
			join(paths.fifos, '0a0a0a0a.fifo'),
		])
			expect(existsSync(path)).toBe(false);
	});

	it('publishes nothing when there is nothing to remove', async () => {
		sandbox = createSandbox();
		const { pruned } = await startOn(sandbox);
		expect(pruned).toEqual([]);
	});

	it('refuses a bad CAO_RETENTION_DAYS before opening anything', () => {
		sandbox = createSandbox();
		const box = sandbox;
		expect(() =>
			createEngine({ paths: box.paths, tmuxSocket: box.socket, env: { CAO_RETENTION_DAYS: '-1' } }),
		).toThrow("CAO_RETENTION_DAYS must be a number of days (0 keeps everything), not '-1'");
		expect(existsSync(box.paths.database)).toBe(false);
	});

	itWithTmux(
		"keeps a live terminal's old log, its FIFO and an old message still pending for it",
		async () => {
			first = await startTestEngine();
			const live = await first.engine.terminals.create({ provider: 'fake' });
			await first.engine.stop();
			// A quiet agent: nothing written to its log for a month, a message waiting as long.
			const { paths } = first.sandbox;
			for (const file of [`${live.id}.log`, `${live.id}.log.times`]) aged(join(paths.logs, file), 30);
			const db = openDatabase(paths.database);
			createInboxRepository(db).enqueue('user', live.id, 'still for you', Date.now() - 30 * day);
			db.close();

			const { engine: next, pruned } = await startOn(first.sandbox);

			expect(pruned).toEqual([]);
			expect(next.terminals.list().map((record) => record.id)).toEqual([live.id]);
			expect(existsSync(join(paths.logs, `${live.id}.log`))).toBe(true);
			expect(existsSync(join(paths.fifos, `${live.id}.fifo`))).toBe(true);
			expect(existsSync(join(paths.terminals, live.id))).toBe(true);
			// Kept, and offered to it now that an engine runs again.
			expect(rowsFor(paths.database, live.id)).toEqual({ terminals: 1, messages: 1 });
		},
		30_000,
	);
});
