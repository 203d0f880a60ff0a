import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { followEvents, requestEngine } from '../api/client.js';
import { resolvePaths } from '../config.js';
import { openDatabase } from '../engine/store/database.js';
import { createFlowRepository, type FlowRecord } from '../engine/store/flow-repository.js';
import { CaoError } from '../errors.js';
import { assertFlowName } from '../names.js';
import { formatTable } from '../commands/table.js';
import { createProfileStore } from '../profiles/profile-store.js';
import { nextRunAfter } from './flow.js';
import { checkFlow, loadFlow } from './flow-file.js';
import { flowNamed, setFlowEnabled } from './flow-service.js';

type Write = (text: string) => void;

/** "0 9 * * * Europe/Berlin": the cron expression and the time zone it is read in. */
const scheduleText = ({ schedule, timezone }: { schedule: string; timezone?: string | undefined }) =>
	timezone ? `${schedule} ${timezone}` : schedule;

const when = (at: number | null) =>
	at === null ? '-' : new Date(at).toISOString().slice(0, 16).replace('T', ' ');

type StreamEvent = { topic: string } & Record<string, unknown>;

/**
 * The outcome of the run `flow run` started, followed on the engine's event stream: only events
 * with its run id count, since other runs of the flow (scheduled, or another `flow run`) may go on.
 */
const runNow = async (name: string, write: Write) => {
	const { socket } = resolvePaths();
	let done: (line: string) => void = () => {};
	const outcome = new Promise<string>((resolveOutcome) => {
		done = resolveOutcome;
	});
	let runId: string | undefined;
	// The run's first events may come before the answer that names it.
	const early: StreamEvent[] = [];
	const follow = (event: StreamEvent) => {
		if (event.runId !== runId) return;
		if (event.topic === `flow.${name}.completed`) done(`completed: ${String(event.reply)}`);
		else if (event.topic === `flow.${name}.failed`) done(`failed: ${String(event.reason)}`);
		else if (event.topic === `flow.${name}.skipped`) done(`skipped: ${String(event.reason)}`);
		else if (event.topic === `flow.${name}.started`)
			write(`started in terminal ${String(event.terminalId)}\n`);
	};
	const stream = await followEvents(socket, (event) => {
		if (!event.topic.startsWith(`flow.${name}.`)) return;
		if (runId === undefined) early.push(event);
		else follow(event);
	});
	try {
		const answer = (await requestEngine(socket, 'POST', `/flows/${encodeURIComponent(name)}/run`)) as
			{ runId?: unknown } | undefined;
		if (typeof answer?.runId !== 'string')
			throw new CaoError('the engine did not name the run it started (an older engine? restart it)');
		runId = answer.runId;
		for (const event of early.splice(0)) follow(event);
		const line = await outcome;
		// A failure is one line on stderr, with its reason.
		if (line.startsWith('failed')) throw new CaoError(`flow ${name} ${line}`);
		write(`${line}\n`);
	} finally {
		stream.close();
	}
};

/**
 * `cao-tui flow add FILE | list | show NAME | enable NAME | disable NAME | remove NAME | run NAME`.
 * All but `run` work on the store, engine or not; a running engine sees changes within 30 s.
 */
export const runFlowCommand = async (args: readonly string[], json: boolean, write: Write): Promise<void> => {
	const [action, argument] = args;
	if (action === 'run') {
		if (!argument) throw new CaoError('flow run needs a name: cao-tui flow run NAME');
		return runNow(assertFlowName(argument), write);
	}
	const paths = resolvePaths();
	const db = openDatabase(paths.database);
	const flows = createFlowRepository(db);
	const existing = (name: string | undefined): FlowRecord => {
		if (!name) throw new CaoError(`flow ${action} needs a name: cao-tui flow ${action} NAME`);
		return flowNamed(flows, name);
	};
	try {
		switch (action) {
			case 'add': {
				if (!argument) throw new CaoError('flow add needs a file: cao-tui flow add FILE');
				const file = resolve(argument);
				const flow = await loadFlow(file);
				const now = Date.now();
				await checkFlow(flow, file, createProfileStore({ storeDir: paths.agentStore }), now);
				// Adding a flow of the same name again replaces it (edit, then add again), and says so; a
				// disabled one stays disabled.
				const previous = flows.get(flow.name);
				const enabled = previous?.enabled ?? true;
				const next = enabled ? nextRunAfter(flow, now) : null;
				flows.add(flow.name, file, next, flow);
				const schedule = scheduleText(flow);
				const state = enabled ? `next run ${when(next)} UTC` : `disabled (cao-tui flow enable ${flow.name})`;
				const moved = previous && previous.file !== file ? `; it was ${previous.file}` : '';
				return write(
					`${previous ? 'replaced' : 'added'} flow ${flow.name} (${schedule}), ${state}${moved}\n`,
				);
			}
			case 'list': {
				const records = flows.list();
				// The schedule as the file said when last read (a store from before that: the file now).
				const withSchedule = await Promise.all(
					records.map(async (record) => ({
						...record,
						schedule:
							record.schedule === null
								? await loadFlow(record.file).then(scheduleText, () => '?')
								: scheduleText({ schedule: record.schedule, timezone: record.timezone ?? undefined }),
					})),
				);
				if (json) return write(`${JSON.stringify(withSchedule)}\n`);
				if (records.length === 0) return write('no flows (add one with cao-tui flow add FILE)\n');
				const rows = withSchedule.map((record) => [
					record.name,
					record.schedule,
					record.enabled ? 'yes' : 'no',
					when(record.lastRun),
					record.lastResult ?? '-',
					record.enabled ? when(record.nextRun) : '-',
				]);
				write(
					formatTable(['NAME', 'SCHEDULE', 'ENABLED', 'LAST RUN (UTC)', 'RESULT', 'NEXT RUN (UTC)'], rows),
				);
				return;
			}
			case 'show': {
				const record = existing(argument);
				if (json) return write(`${JSON.stringify(record)}\n`);
				write(`# ${record.file}\n`);
				write(`# enabled: ${record.enabled ? 'yes' : 'no'}, next run: ${when(record.nextRun)} UTC\n`);
				write(
					`# last run: ${when(record.lastRun)} UTC, ${record.lastResult ?? '-'}${record.lastDetail ? `: ${record.lastDetail.split('\n')[0]}` : ''}\n`,
				);
				return write(await readFile(record.file, 'utf8').catch(() => '(the file cannot be read)\n'));
			}
			case 'enable':
			case 'disable': {
				const record = existing(argument);
				const enable = action === 'enable';
				const next = await setFlowEnabled(flows, record, enable);
				return write(`${action}d flow ${record.name}${enable ? `, next run ${when(next)} UTC` : ''}\n`);
			}
			case 'remove': {
				const record = existing(argument);
				flows.remove(record.name);
				return write(`removed flow ${record.name}\n`);
			}
			default:
				throw new CaoError(
					`${action ? `unknown flow action '${action}'` : 'flow needs an action'}: cao-tui flow add FILE | list | show NAME | enable NAME | disable NAME | remove NAME | run NAME`,
				);
		}
	} finally {
		db.close();
	}
};
