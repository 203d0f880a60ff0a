import { lstat, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../../errors.js';
import type { Paths } from '../../config.js';
import { timesSuffix } from '../logs/log-writer.js';
import type { Db } from '../store/database.js';
import { linksRecordName } from '../terminals/launch-links.js';
import { terminalIdPattern } from '../terminals/validation.js';

const dayMs = 24 * 60 * 60 * 1000;

export type PruneOptions = {
	db: Db;
	paths: Pick<Paths, 'logs' | 'fifos' | 'terminals'>;
	/** Days to keep; 0 keeps everything but leftover FIFOs. */
	retentionDays: number;
	/** The clock, injected so tests can age things without waiting. */
	now: number;
};

/** How many of each thing were removed. */
export type PruneCounts = {
	terminals: number;
	messages: number;
	sessions: number;
	logs: number;
	folders: number;
	fifos: number;
};

export type PruneResult = {
	removed: PruneCounts;
	/** One line per thing that could not be removed (it is tried again at the next start). */
	failures: string[];
};

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Entries of a folder; none when it does not exist yet. */
const entriesOf = async (folder: string): Promise<string[]> =>
	readdir(folder).catch((error: unknown) => {
		if (errorCode(error) === 'ENOENT') return [];
		throw error;
	});

/**
 * Rows: terminals that exited before `cutoff` with the messages to them and their non-pending
 * messages to others, the session environments only they used, delivered or failed messages
 * older than `cutoff`, and pending ones as old whose receiver is not live (deleted: nobody will
 * ever take them). One immediate transaction, so a CLI enqueueing meanwhile waits, then sees
 * either all of it or none. Returns the ids of the terminals removed.
 */
const pruneRows = (db: Db, cutoff: number, counts: PruneCounts): Set<string> =>
	db
		.transaction(() => {
			const old = db
				.prepare('SELECT id, session FROM terminals WHERE exited_at IS NOT NULL AND exited_at < ?')
				.all(cutoff) as { id: string; session: string }[];
			const ids = JSON.stringify(old.map((row) => row.id));
			const sessions = JSON.stringify([...new Set(old.map((row) => row.session))]);
			const pruned = 'SELECT value FROM json_each(?)';
			counts.messages += db
				.prepare(
					`DELETE FROM inbox_messages WHERE receiver_id IN (${pruned})
					OR (sender_id IN (${pruned}) AND status != 'pending')`,
				)
				.run(ids, ids).changes;
			counts.messages += db
				.prepare(
					`DELETE FROM inbox_messages WHERE COALESCE(delivered_at, created_at) < ? AND (
						status IN ('delivered', 'failed')
						OR receiver_id NOT IN (SELECT id FROM terminals WHERE exited_at IS NULL))`,
				)
				.run(cutoff).changes;
			counts.terminals += db.prepare(`DELETE FROM terminals WHERE id IN (${pruned})`).run(ids).changes;
			counts.sessions += db
				.prepare(
					`DELETE FROM session_env WHERE session IN (${pruned})
					AND session NOT IN (SELECT session FROM terminals)`,
				)
				.run(sessions).changes;
			return new Set(old.map((row) => row.id));
		})
		.immediate();

/** What the file steps share: where to count, where to report, and whose things to spare. */
type Sweep = {
	paths: PruneOptions['paths'];
	removed: PruneCounts;
	/** Asked at each file: a terminal created meanwhile (through the API) is live from its row on. */
	isLive: (id: string) => boolean;
	/** Runs a removal; true when it removed something, a failure is noted (gone already is not). */
	attempt: (what: string, action: () => Promise<void>) => Promise<boolean>;
};

/** When a file was last written; `missing` when it cannot be read. */
const modifiedAt = (path: string, missing: number): Promise<number> =>
	stat(path).then(
		(stats) => stats.mtimeMs,
		() => missing,
	);

/** FIFOs are run-time files: one no live terminal reads is garbage, however young. */
const pruneFifos = async ({ paths, removed, isLive, attempt }: Sweep) => {
	for (const name of await entriesOf(paths.fifos)) {
		const id = name.endsWith('.fifo') ? name.slice(0, -'.fifo'.length) : '';
		if (terminalIdPattern.test(id) && isLive(id)) continue;
		const path = join(paths.fifos, name);
		const isFifo = await lstat(path).then(
			(stats) => stats.isFIFO(),
			() => false,
		);
		if (isFifo && (await attempt(path, () => unlink(path)))) removed.fifos += 1;
	}
};

/** Logs: `{id}.log` and `{id}.log.times` go together, once the newer of the two is older than `cutoff`. */
const pruneLogs = async ({ paths, removed, isLive, attempt }: Sweep, cutoff: number) => {
	const ids = new Set<string>();
	for (const name of await entriesOf(paths.logs)) {
		const stem = name.endsWith(timesSuffix) ? name.slice(0, -timesSuffix.length) : name;
		const id = stem.endsWith('.log') ? stem.slice(0, -'.log'.length) : '';
		if (terminalIdPattern.test(id)) ids.add(id);
	}
	for (const id of ids) {
		if (isLive(id)) continue;
		const files = [join(paths.logs, `${id}.log`), join(paths.logs, `${id}.log${timesSuffix}`)];
		const written = await Promise.all(files.map((file) => modifiedAt(file, Number.NEGATIVE_INFINITY)));
		if (Math.max(...written) >= cutoff) continue;
		const gone = await attempt(`log of terminal ${id}`, async () => {
			for (const file of files) await rm(file, { force: true });
		});
		if (gone) removed.logs += 1;
	}
};

/**
 * Config folders: of the terminals whose rows went now, or without a row (deleted) and untouched
 * since `cutoff`. One still holding a links record stays: the link sweep has not taken them back.
 */
const pruneFolders = async (
	sweep: Sweep,
	cutoff: number,
	pruned: Set<string>,
	hasRow: (id: string) => boolean,
) => {
	const { paths, removed, isLive, attempt } = sweep;
	for (const id of await entriesOf(paths.terminals)) {
		if (!terminalIdPattern.test(id) || isLive(id)) continue;
		const folder = join(paths.terminals, id);
		if (!pruned.has(id) && (hasRow(id) || (await modifiedAt(folder, Number.POSITIVE_INFINITY)) >= cutoff))
			continue;
		const hasLinks = await lstat(join(folder, linksRecordName)).then(
			() => true,
			() => false,
		);
		if (!hasLinks && (await attempt(folder, () => rm(folder, { recursive: true, force: true }))))
			removed.folders += 1;
	}
};

/**
 * Removes what ended terminals left behind for longer than the retention period: their rows and
 * messages (see pruneRows), their logs last written before the cutoff, their config folders, and
 * (whatever their age) FIFOs no live terminal reads. Nothing of a live terminal is touched, and a
 * pending message to one never. Run at engine start, after the engine has judged which
 * terminals survived.
 */
export const pruneOld = async ({ db, paths, retentionDays, now }: PruneOptions): Promise<PruneResult> => {
	const removed: PruneCounts = { terminals: 0, messages: 0, sessions: 0, logs: 0, folders: 0, fifos: 0 };
	const failures: string[] = [];
	const live = db.prepare('SELECT 1 FROM terminals WHERE id = ? AND exited_at IS NULL').pluck();
	const row = db.prepare('SELECT 1 FROM terminals WHERE id = ?').pluck();
	const sweep: Sweep = {
		paths,
		removed,
		isLive: (id) => live.get(id) !== undefined,
		async attempt(what, action) {
			try {
				await action();
				return true;
			} catch (error) {
				if (errorCode(error) !== 'ENOENT') failures.push(`${what}: ${oneLine(error)}`);
				return false;
			}
		},
	};

	await pruneFifos(sweep);
	if (retentionDays === 0) return { removed, failures };
	const cutoff = now - retentionDays * dayMs;
	let pruned = new Set<string>();
	try {
		pruned = pruneRows(db, cutoff, removed);
	} catch (error) {
		failures.push(`database: ${oneLine(error)}`);
	}
	await pruneLogs(sweep, cutoff);
	await pruneFolders(sweep, cutoff, pruned, (id) => row.get(id) !== undefined);
	return { removed, failures };
};

const labels: Record<keyof PruneCounts, [string, string]> = {
	terminals: ['terminal', 'terminals'],
	messages: ['message', 'messages'],
	sessions: ['session environment', 'session environments'],
	logs: ['terminal log', 'terminal logs'],
	folders: ['config folder', 'config folders'],
	fifos: ['FIFO', 'FIFOs'],
};

/** "2 terminals, 5 messages, 2 terminal logs": the non-zero counts, for one line. */
export const describeCounts = (counts: PruneCounts): string =>
	(Object.keys(labels) as (keyof PruneCounts)[])
		.filter((kind) => counts[kind] > 0)
		.map((kind) => `${counts[kind]} ${labels[kind][counts[kind] === 1 ? 0 : 1]}`)
		.join(', ');

/** Whether anything was removed. */
export const anyRemoved = (counts: PruneCounts): boolean => Object.values(counts).some((count) => count > 0);
