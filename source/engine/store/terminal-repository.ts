import type { TerminalStatus } from '../status/statuses.js';
import type { Db } from './database.js';

export type TerminalRecord = {
	id: string;
	session: string;
	window: string;
	provider: string;
	profile: string | null;
	workingDirectory: string;
	callerId: string | null;
	createdAt: number;
	lastActiveAt: number;
	lastStatus: TerminalStatus;
	exitedAt: number | null;
};

type Row = {
	id: string;
	session: string;
	window: string;
	provider: string;
	profile: string | null;
	working_directory: string;
	caller_id: string | null;
	created_at: number;
	last_active_at: number;
	last_status: TerminalStatus;
	exited_at: number | null;
};

const fromRow = (row: Row): TerminalRecord => ({
	id: row.id,
	session: row.session,
	window: row.window,
	provider: row.provider,
	profile: row.profile,
	workingDirectory: row.working_directory,
	callerId: row.caller_id,
	createdAt: row.created_at,
	lastActiveAt: row.last_active_at,
	lastStatus: row.last_status,
	exitedAt: row.exited_at,
});

export type TerminalRepository = ReturnType<typeof createTerminalRepository>;

export const createTerminalRepository = (db: Db) => {
	const insert = db.prepare(
		`INSERT INTO terminals (id, session, window, provider, profile, working_directory, caller_id,
			created_at, last_active_at, last_status)
		VALUES (@id, @session, @window, @provider, @profile, @workingDirectory, @callerId,
			@createdAt, @lastActiveAt, @lastStatus)`,
	);
	const byId = db.prepare('SELECT * FROM terminals WHERE id = ?');
	const live = db.prepare('SELECT * FROM terminals WHERE exited_at IS NULL ORDER BY created_at');
	const bySession = db.prepare(
		'SELECT * FROM terminals WHERE session = ? AND exited_at IS NULL ORDER BY created_at',
	);
	const setStatus = db.prepare('UPDATE terminals SET last_status = ?, last_active_at = ? WHERE id = ?');
	const setMany = db.transaction((statuses: ReadonlyMap<string, { status: TerminalStatus; at: number }>) => {
		for (const [id, { status, at }] of statuses) setStatus.run(status, at, id);
	});
	const touch = db.prepare('UPDATE terminals SET last_active_at = ? WHERE id = ?');
	const markExited = db.prepare('UPDATE terminals SET exited_at = ? WHERE id = ? AND exited_at IS NULL');
	const remove = db.prepare('DELETE FROM terminals WHERE id = ?');

	return {
		insert(record: Omit<TerminalRecord, 'exitedAt'>): void {
			insert.run(record);
		},
		get(id: string): TerminalRecord | undefined {
			const row = byId.get(id) as Row | undefined;
			return row && fromRow(row);
		},
		listLive(): TerminalRecord[] {
			return (live.all() as Row[]).map(fromRow);
		},
		listBySession(session: string): TerminalRecord[] {
			return (bySession.all(session) as Row[]).map(fromRow);
		},
		/** Terminals' statuses and the times they changed, in one transaction. */
		setStatuses(statuses: ReadonlyMap<string, { status: TerminalStatus; at: number }>): void {
			setMany(statuses);
		},
		touch(id: string, at: number): void {
			touch.run(at, id);
		},
		markExited(id: string, at: number): void {
			markExited.run(at, id);
		},
		remove(id: string): void {
			remove.run(id);
		},
	};
};
