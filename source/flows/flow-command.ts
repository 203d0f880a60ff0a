import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { followEvents, requestEngine } from '../api/client.js';
import { resolvePaths } from '../config.js';
import { openDatabase } from '../engine/store/database.js';
import { createFlowRepository, type FlowRecord } from '../engine/store/flow-repository.js';
import { CaoError, NotFoundError } from '../errors.js';
import { formatTable } from '../commands/table.js';
import { nextRunAfter } from './flow.js';
import { loadFlow } from './flow-file.js';
import { setFlowEnabled } from './flow-service.js';

type Write = (text: string) => void;

const when = (at: number | null) =>
	at === null ? '-' : new Date(at).toISOString().slice(0, 16).replace('T', ' ');

/** The flow's outcome, followed on the engine's event stream, once `flow run` started it. */
const runNow = async (name: string, write: Write) => {
	const { socket } = resolvePaths();
	let done: (line: string) => void = () => {};
	const outcome = new Promise<string>((resolveOutcome) => {
		done = resolveOutcome;
	});
	const stream = await followEvents(socket, (event) => {
		if (event.topic === `flow.${name}.completed`) done(`completed: ${String(event.reply)}`);
		else if (event.topic === `flow.${name}.failed`) done(`failed: ${String(event.reason)}`);
		else if (event.topic === `flow.${name}.skipped`) done(`skipped: ${String(event.reason)}`);
		else if (event.topic === `flow.${name}.started`)
			write(`started in terminal ${String(event.terminalId)}\n`);
	});
	try {
		await requestEngine(socket, 'POST', `/flows/${encodeURIComponent(name)}/run`);
		const line = await outcome;
		write(`${line}\n`);
		if (line.startsWith('failed')) throw new CaoError(`flow ${name} failed`);
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
		return runNow(argument, write);
	}
	const db = openDatabase(resolvePaths().database);
	const flows = createFlowRepository(db);
	const existing = (name: string | undefined): FlowRecord => {
		if (!name) throw new CaoError(`flow ${action} needs a name: cao-tui flow ${action} NAME`);
		const record = flows.get(name);
		if (!record) throw new NotFoundError(`no flow '${name}' (see cao-tui flow list)`);
		return record;
	};
	try {
		switch (action) {
			case 'add': {
				if (!argument) throw new CaoError('flow add needs a file: cao-tui flow add FILE');
				const file = resolve(argument);
				const flow = await loadFlow(file);
				const next = nextRunAfter(flow, Date.now());
				flows.add(flow.name, file, next);
				return write(
					`added flow ${flow.name} (${flow.schedule}${flow.timezone ? ` ${flow.timezone}` : ''}), next run ${when(next)} UTC\n`,
				);
			}
			case 'list': {
				const records = flows.list();
				const withSchedule = await Promise.all(
					records.map(async (record) => ({
						...record,
						schedule: await loadFlow(record.file).then(
							(flow) => flow.schedule,
							() => '?',
						),
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
