import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Schema changes in order; `PRAGMA user_version` records how many have run. Never edit a
 * migration that has shipped: add a new one.
 */
const migrations: readonly string[] = [
	`CREATE TABLE terminals (
		id TEXT PRIMARY KEY,
		session TEXT NOT NULL,
		window TEXT NOT NULL,
		provider TEXT NOT NULL,
		profile TEXT,
		working_directory TEXT NOT NULL,
		caller_id TEXT,
		created_at INTEGER NOT NULL,
		last_active_at INTEGER NOT NULL,
		last_status TEXT NOT NULL DEFAULT 'unknown',
		exited_at INTEGER
	);
	CREATE INDEX terminals_session ON terminals(session);
	CREATE TABLE inbox_messages (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		sender_id TEXT NOT NULL,
		receiver_id TEXT NOT NULL,
		body TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
		created_at INTEGER NOT NULL,
		delivered_at INTEGER,
		error TEXT
	);
	CREATE INDEX inbox_receiver_status ON inbox_messages(receiver_id, status, id);`,
	// Environment given to a session's terminals, for the ones created in it later (workers).
	`CREATE TABLE session_env (
		session TEXT PRIMARY KEY,
		env TEXT NOT NULL
	);`,
	// Scheduled flows: the file is read at each run (edits apply), the schedule state is kept here.
	`CREATE TABLE flows (
		name TEXT PRIMARY KEY,
		file TEXT NOT NULL,
		enabled INTEGER NOT NULL DEFAULT 1,
		next_run INTEGER,
		last_run INTEGER,
		last_result TEXT CHECK (last_result IN ('started', 'completed', 'failed', 'skipped')),
		last_detail TEXT,
		terminal_id TEXT
	);`,
	// A flow's schedule as its file said when last read: runs stay on schedule while the file
	// cannot be read.
	`ALTER TABLE flows ADD COLUMN schedule TEXT;
	ALTER TABLE flows ADD COLUMN timezone TEXT;`,
	// 'sending': a delivery begun (its text staged in the terminal's server), so that an engine
	// killed mid-delivery finishes it after a restart rather than losing or repeating it. SQLite
	// cannot change a CHECK constraint in place: the table is made again.
	`CREATE TABLE inbox_messages_new (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		sender_id TEXT NOT NULL,
		receiver_id TEXT NOT NULL,
		body TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
		created_at INTEGER NOT NULL,
		delivered_at INTEGER,
		error TEXT
	);
	INSERT INTO inbox_messages_new SELECT id, sender_id, receiver_id, body, status, created_at, delivered_at, error
		FROM inbox_messages;
	-- Ids are never used again, not even those of messages removed.
	DELETE FROM sqlite_sequence WHERE name = 'inbox_messages_new';
	INSERT INTO sqlite_sequence (name, seq) SELECT 'inbox_messages_new', seq FROM sqlite_sequence
		WHERE name = 'inbox_messages';
	DROP TABLE inbox_messages;
	ALTER TABLE inbox_messages_new RENAME TO inbox_messages;
	CREATE INDEX inbox_receiver_status ON inbox_messages(receiver_id, status, id);`,
];

export const schemaVersion = migrations.length;

/** How long a write waits for another process's (the engine's, a CLI's) before SQLITE_BUSY. */
export const busyTimeoutMs = 5000;

/**
 * Turns WAL on (it stays on in the file). SQLite answers SQLITE_BUSY at once, without its busy
 * handler, when processes open a new file at the same moment: tried again until the timeout.
 */
const enableWal = (db: Db): void => {
	const deadline = Date.now() + busyTimeoutMs;
	const pause = new Int32Array(new SharedArrayBuffer(4));
	for (;;) {
		try {
			db.pragma('journal_mode = WAL');
			return;
		} catch (error) {
			if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
			// A synchronous pause: opening the store is synchronous, and this happens only at a file's birth.
			Atomics.wait(pause, 0, 0, 10);
		}
	}
};

export const openDatabase = (file: string): Db => {
	mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
	// The timeout from the first statement on: switching a new file to WAL takes a lock too.
	const db = new Database(file, { timeout: busyTimeoutMs });
	enableWal(db);
	// Other processes (the CLI's one-shot commands) share the file: wait rather than fail.
	db.pragma(`busy_timeout = ${busyTimeoutMs}`);
	db.pragma('foreign_keys = ON');
	migrate(db);
	return db;
};

/**
 * Runs the migrations not run yet, one immediate transaction each. The version is read inside the
 * transaction: processes opening a new file at once (an engine and CLIs) would otherwise each run
 * the first migration, and all but one fail with "table terminals already exists".
 */
const migrate = (db: Db): void => {
	/** The schema version; refuses a file a newer cao-tui has migrated. */
	const version = (): number => {
		const current = db.pragma('user_version', { simple: true }) as number;
		if (current > migrations.length) {
			throw new Error(`database schema version ${current} is newer than this cao-tui (${migrations.length})`);
		}
		return current;
	};
	// The usual case, without taking the write lock.
	if (version() === migrations.length) return;
	const step = db.transaction((): boolean => {
		const current = version();
		if (current === migrations.length) return false;
		db.exec(migrations[current] as string);
		db.pragma(`user_version = ${current + 1}`);
		return true;
	});
	while (step.immediate()) {
		// One migration per transaction, until none is left.
	}
};
