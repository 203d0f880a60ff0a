import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	defaultRetentionDays,
	type Paths,
	resolvePaths,
	resolveRetentionDays,
} from '../../../source/config.js';
import { makeFifo } from '../../../source/engine/fifo/fifo-reader.js';
import { describeCounts, pruneOld } from '../../../source/engine/retention/prune.js';
import { type Db, openDatabase } from '../../../source/engine/store/database.js';
import { createInboxRepository } from '../../../source/engine/store/inbox-repository.js';
import { createSessionEnvRepository } from '../../../source/engine/store/session-env-repository.js';
import { insertTerminalRow } from '../../helpers/terminal-rows.js';

const day = 24 * 60 * 60 * 1000;
/** The clock given to the pruning; rows and file times are set relative to it. */
const now = Date.now();

let home: string;
let paths: Paths;
let db: Db;

beforeEach(() => {
	home = mkdtempSync(join(tmpdir(), 'cao-prune-'));
	paths = resolvePaths({ CAO_HOME: home });
	db = openDatabase(paths.database);
	for (const folder of [paths.logs, paths.fifos, paths.terminals]) mkdirSync(folder, { recursive: true });
});

afterEach(() => {
	if (db.open) db.close();
	rmSync(home, { recursive: true, force: true });
});

/** A terminal row; `exitedDaysAgo` undefined keeps it live. */
const addTerminal = (id: string, session: string, exitedDaysAgo?: number) =>
	insertTerminalRow(db, id, {
		session,
		createdAt: now - 60 * day,
		exitedAt: exitedDaysAgo === undefined ? undefined : now - exitedDaysAgo * day,
	});

/** A message sent `daysAgo`, left in `status`. */
const addMessage = (
	from: string,
	to: string,
	daysAgo: number,
	status: 'pending' | 'delivered' | 'failed',
) => {
	const inbox = createInboxRepository(db);
	const { id } = inbox.enqueue(from, to, `${from}->${to} ${status} ${daysAgo}d`, now - daysAgo * day);
	if (status === 'delivered') {
		inbox.markSending([id]);
		inbox.markDelivered([id], now - daysAgo * day);
	}
	if (status === 'failed') inbox.markFailed([id], 'gone');
	return id;
};

const messageBodies = () =>
	db.prepare('SELECT body FROM inbox_messages ORDER BY id').pluck().all() as string[];
const terminalIds = () => db.prepare('SELECT id FROM terminals ORDER BY id').pluck().all() as string[];

/** A file written `daysAgo` (mtime set back with utimes). */
const writeAged = (path: string, daysAgo: number) => {
	writeFileSync(path, 'x');
	const when = new Date(now - daysAgo * day);
	utimesSync(path, when, when);
};

describe('pruneOld', () => {
	it('removes the rows of terminals ended longer ago than the period, with what refers to them', async () => {
		addTerminal('11111111', 'cao-old', 20); // ended 20 days ago: goes
		addTerminal('22222222', 'cao-recent', 3); // ended 3 days ago: stays
		addTerminal('33333333', 'cao-live'); // live: stays, whatever its age
		addTerminal('44444444', 'cao-shared', 30); // goes, but its session has a live terminal
		addTerminal('55555555', 'cao-shared');
		const env = createSessionEnvRepository(db);
		for (const session of ['cao-old', 'cao-recent', 'cao-shared']) env.merge(session, { KEY: session });

		addMessage('user', '11111111', 1, 'pending'); // to a pruned terminal: goes with it
		addMessage('11111111', '33333333', 1, 'delivered'); // from a pruned one: goes
		addMessage('11111111', '33333333', 40, 'pending'); // pending to a live one: never goes
		addMessage('user', '33333333', 40, 'pending'); // pending to a live one, old: stays
		addMessage('user', '33333333', 20, 'delivered'); // delivered long ago: goes
		addMessage('user', '33333333', 20, 'failed'); // failed long ago: goes
		addMessage('user', '33333333', 2, 'delivered'); // delivered recently: stays
		addMessage('user', 'deadbeef', 20, 'pending'); // to a terminal deleted long ago: goes
		addMessage('user', '22222222', 20, 'pending'); // to one ended recently, sent long ago: goes

		const { removed, failures } = await pruneOld({ db, paths, retentionDays: 14, now });

		expect(failures).toEqual([]);
		expect(terminalIds()).toEqual(['22222222', '33333333', '55555555']);
		expect(messageBodies()).toEqual([
			'11111111->33333333 pending 40d',
			'user->33333333 pending 40d',
			'user->33333333 delivered 2d',
		]);
		expect(env.get('cao-old')).toEqual({});
		expect(env.get('cao-recent')).toEqual({ KEY: 'cao-recent' });
		expect(env.get('cao-shared')).toEqual({ KEY: 'cao-shared' });
		expect(removed).toMatchObject({ terminals: 2, messages: 6, sessions: 1 });
	});

	it("removes dead terminals' old logs and folders and every FIFO no live terminal reads", async () => {
		addTerminal('aaaaaaaa', 'cao-a'); // live
		addTerminal('bbbbbbbb', 'cao-b', 20); // ended long ago
		addTerminal('cccccccc', 'cao-c', 1); // ended yesterday
		const log = (id: string, suffix = '') => join(paths.logs, `${id}.log${suffix}`);
		// A live terminal's log, not written for a month (a quiet agent): kept.
		writeAged(log('aaaaaaaa'), 30);
		writeAged(log('aaaaaaaa', '.times'), 30);
		writeAged(log('bbbbbbbb'), 20);
		writeAged(log('bbbbbbbb', '.times'), 20);
		// Dead, but written 2 days ago: kept until it is old.
		writeAged(log('cccccccc'), 2);
		writeAged(log('cccccccc', '.times'), 2);
		// A deleted terminal's log (no row at all): goes once old, both files.
		writeAged(log('dddddddd'), 15);
		writeAged(log('dddddddd', '.times'), 16);
		// Not a terminal's log: never touched.
		writeAged(join(paths.logs, 'notes.txt'), 90);

		for (const id of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd', 'eeeeeeee']) {
			mkdirSync(join(paths.terminals, id));
			writeFileSync(join(paths.terminals, id, 'prompt.md'), 'hi');
		}
		const aged = new Date(now - 30 * day);
		utimesSync(join(paths.terminals, 'dddddddd'), aged, aged);
		// A dead terminal whose launch links were not taken back yet: its record must stay.
		utimesSync(join(paths.terminals, 'eeeeeeee'), aged, aged);
		writeFileSync(join(paths.terminals, 'eeeeeeee', 'cao-links.json'), '[]');

		for (const id of ['aaaaaaaa', 'bbbbbbbb', 'cccccccc']) await makeFifo(join(paths.fifos, `${id}.fifo`));
		await makeFifo(join(paths.fifos, 'stray.fifo'));
		writeFileSync(join(paths.fifos, 'readme.txt'), 'not a FIFO');

		const { removed, failures } = await pruneOld({ db, paths, retentionDays: 14, now });

		expect(failures).toEqual([]);
		expect(existsSync(log('aaaaaaaa'))).toBe(true);
		expect(existsSync(log('aaaaaaaa', '.times'))).toBe(true);
		expect(existsSync(log('bbbbbbbb'))).toBe(false);
		expect(existsSync(log('bbbbbbbb', '.times'))).toBe(false);
		expect(existsSync(log('cccccccc'))).toBe(true);
		expect(existsSync(log('dddddddd'))).toBe(false);
		expect(existsSync(log('dddddddd', '.times'))).toBe(false);
		expect(existsSync(join(paths.logs, 'notes.txt'))).toBe(true);

		const folders = ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd', 'eeeeeeee'].filter((id) =>
			existsSync(join(paths.terminals, id)),
		);
		expect(folders).toEqual(['aaaaaaaa', 'cccccccc', 'eeeeeeee']);

		const fifos = ['aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'stray'].filter((name) =>
			existsSync(join(paths.fifos, `${name}.fifo`)),
		);
		// The dead terminal of yesterday loses its FIFO too: FIFOs are not history.
		expect(fifos).toEqual(['aaaaaaaa']);
		expect(existsSync(join(paths.fifos, 'readme.txt'))).toBe(true);
		expect(removed).toEqual({ terminals: 1, messages: 0, sessions: 0, logs: 2, folders: 2, fifos: 3 });
		expect(describeCounts(removed)).toBe('1 terminal, 2 terminal logs, 2 config folders, 3 FIFOs');
	});

	it('keeps everything but stray FIFOs when the period is 0 (keep forever)', async () => {
		addTerminal('bbbbbbbb', 'cao-b', 400);
		addMessage('user', 'bbbbbbbb', 400, 'delivered');
		writeAged(join(paths.logs, 'bbbbbbbb.log'), 400);
		mkdirSync(join(paths.terminals, 'bbbbbbbb'));
		await makeFifo(join(paths.fifos, 'bbbbbbbb.fifo'));

		const { removed } = await pruneOld({ db, paths, retentionDays: 0, now });

		expect(terminalIds()).toEqual(['bbbbbbbb']);
		expect(messageBodies()).toHaveLength(1);
		expect(existsSync(join(paths.logs, 'bbbbbbbb.log'))).toBe(true);
		expect(existsSync(join(paths.terminals, 'bbbbbbbb'))).toBe(true);
		expect(existsSync(join(paths.fifos, 'bbbbbbbb.fifo'))).toBe(false);
		expect(describeCounts(removed)).toBe('1 FIFO');
	});

	it('starts on a fresh home where none of the folders exist yet', async () => {
		rmSync(join(home, 'logs'), { recursive: true });
		rmSync(join(home, 'run'), { recursive: true });
		rmSync(paths.terminals, { recursive: true });
		const { removed, failures } = await pruneOld({ db, paths, retentionDays: 14, now });
		expect(failures).toEqual([]);
		expect(describeCounts(removed)).toBe('');
	});
});

describe('resolveRetentionDays', () => {
	it('defaults to 14 days and takes whole or fractional days, 0 for keep-forever', () => {
		expect(resolveRetentionDays({})).toBe(defaultRetentionDays);
		expect(defaultRetentionDays).toBe(14);
		expect(resolveRetentionDays({ CAO_RETENTION_DAYS: '' })).toBe(14);
		expect(resolveRetentionDays({ CAO_RETENTION_DAYS: '30' })).toBe(30);
		expect(resolveRetentionDays({ CAO_RETENTION_DAYS: ' 0.5 ' })).toBe(0.5);
		expect(resolveRetentionDays({ CAO_RETENTION_DAYS: '0' })).toBe(0);
	});

	it.each(['-3', 'two', '1e3', 'Infinity', '14d', 'NaN'])('refuses %s in one line', (value) => {
		expect(() => resolveRetentionDays({ CAO_RETENTION_DAYS: value })).toThrow(
			`CAO_RETENTION_DAYS must be a number of days (0 keeps everything), not '${value}'`,
		);
	});
});
