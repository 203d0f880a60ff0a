import type { Db } from './database.js';

/**
 * The environment of each session: what was given to its terminals, which the terminals created
 * in it later (a supervisor's workers) get too. Kept across engine restarts.
 */
export const createSessionEnvRepository = (db: Db) => {
	const byName = db.prepare('SELECT env FROM session_env WHERE session = ?');
	const upsert = db.prepare(
		'INSERT INTO session_env (session, env) VALUES (?, ?) ON CONFLICT (session) DO UPDATE SET env = excluded.env',
	);
	const remove = db.prepare('DELETE FROM session_env WHERE session = ?');
	const get = (session: string): Record<string, string> => {
		const row = byName.get(session) as { env: string } | undefined;
		return row ? (JSON.parse(row.env) as Record<string, string>) : {};
	};
	return {
		get,
		/** Adds `env` to the session's, the new values winning. */
		merge(session: string, env: Readonly<Record<string, string>>): void {
			if (Object.keys(env).length > 0) upsert.run(session, JSON.stringify({ ...get(session), ...env }));
		},
		remove(session: string): void {
			remove.run(session);
		},
	};
};

export type SessionEnvRepository = ReturnType<typeof createSessionEnvRepository>;
