import type { Db } from './database.js';

export const flowResults = ['started', 'completed', 'failed', 'skipped'] as const;
export type FlowResult = (typeof flowResults)[number];

export type FlowRecord = {
	name: string;
	/** The flow file, read at each run. */
	file: string;
	enabled: boolean;
	nextRun: number | null;
	lastRun: number | null;
	lastResult: FlowResult | null;
	/** The reply of a completed run, or why it failed or was skipped. */
	lastDetail: string | null;
	/** The terminal of the last run. */
	terminalId: string | null;
	/** The schedule and time zone the file had when last read (null before that). */
	schedule: string | null;
	timezone: string | null;
};

/** A flow's cron expression and its time zone (none: the engine's). */
export type FlowSchedule = { schedule: string; timezone?: string | undefined };

type Row = {
	name: string;
	file: string;
	enabled: number;
	next_run: number | null;
	last_run: number | null;
	last_result: FlowResult | null;
	last_detail: string | null;
	terminal_id: string | null;
	schedule: string | null;
	timezone: string | null;
};

const fromRow = (row: Row): FlowRecord => ({
	name: row.name,
	file: row.file,
	enabled: row.enabled === 1,
	nextRun: row.next_run,
	lastRun: row.last_run,
	lastResult: row.last_result,
	lastDetail: row.last_detail,
	terminalId: row.terminal_id,
	schedule: row.schedule,
	timezone: row.timezone,
});

export const createFlowRepository = (db: Db) => {
	const upsert = db.prepare(
		`INSERT INTO flows (name, file, enabled, next_run, schedule, timezone) VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET file = excluded.file, next_run = excluded.next_run,
			schedule = excluded.schedule, timezone = excluded.timezone`,
	);
	const byName = db.prepare('SELECT * FROM flows WHERE name = ?');
	const all = db.prepare('SELECT * FROM flows ORDER BY name');
	const setEnabled = db.prepare('UPDATE flows SET enabled = ?, next_run = ? WHERE name = ?');
	const setNextRun = db.prepare('UPDATE flows SET next_run = ? WHERE name = ?');
	const setSchedule = db.prepare('UPDATE flows SET schedule = ?, timezone = ? WHERE name = ?');
	const recordRun = db.prepare(
		`UPDATE flows SET last_run = ?, last_result = ?, last_detail = ?, terminal_id = COALESCE(?, terminal_id)
		WHERE name = ?`,
	);
	const remove = db.prepare('DELETE FROM flows WHERE name = ?');
	return {
		add(name: string, file: string, nextRun: number | null, schedule: FlowSchedule): void {
			upsert.run(name, file, nextRun, schedule.schedule, schedule.timezone ?? null);
		},
		get(name: string): FlowRecord | undefined {
			const row = byName.get(name) as Row | undefined;
			return row && fromRow(row);
		},
		list(): FlowRecord[] {
			return (all.all() as Row[]).map(fromRow);
		},
		setEnabled(name: string, enabled: boolean, nextRun: number | null): boolean {
			return setEnabled.run(enabled ? 1 : 0, nextRun, name).changes === 1;
		},
		setNextRun(name: string, nextRun: number | null): void {
			setNextRun.run(nextRun, name);
		},
		setSchedule(name: string, schedule: FlowSchedule): void {
			setSchedule.run(schedule.schedule, schedule.timezone ?? null, name);
		},
		recordRun(
			name: string,
			at: number,
			result: FlowResult,
			detail: string | null,
			terminalId?: string,
		): void {
			recordRun.run(at, result, detail, terminalId ?? null, name);
		},
		remove(name: string): boolean {
			return remove.run(name).changes === 1;
		},
	};
};

export type FlowRepository = ReturnType<typeof createFlowRepository>;
