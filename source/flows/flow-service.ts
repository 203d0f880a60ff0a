import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { EventBus } from '../engine/bus.js';
import { flowTopic, terminalTopic } from '../engine/events.js';
import type { TerminalStatus } from '../engine/status/statuses.js';
import { runTurn } from '../engine/terminals/turn-end.js';
import type { FlowRecord, FlowRepository } from '../engine/store/flow-repository.js';
import { CaoError, NotFoundError, oneLine } from '../errors.js';
import { assertFlowName } from '../names.js';
import { type Flow, missedRunPlan, nextRunAfter, renderPrompt } from './flow.js';
import { flowTrustProblem, gateCommand, loadFlow } from './flow-file.js';

/** What flows need of the engine's terminals. */
export type FlowTerminals = {
	create(options: {
		profile: string;
		provider?: string;
		session: string;
		workingDirectory?: string;
	}): Promise<{
		id: string;
	}>;
	/** Its status, or undefined when it is gone. */
	statusOf(id: string): TerminalStatus | undefined;
	remove(id: string): Promise<void>;
	sendInput(id: string, text: string): Promise<void>;
	lastReply(id: string): Promise<string>;
};

export type FlowServiceOptions = {
	bus: EventBus;
	flows: FlowRepository;
	terminals: FlowTerminals;
	now?: () => number;
	/** How long a flow's agent may take for its turn. */
	turnTimeoutMs?: number;
	/** The longest sleep between looks at the schedule: changes made by other processes show within it. */
	tickMs?: number;
	/** How long a gate script may run (30 s). */
	scriptTimeoutMs?: number;
	/**
	 * When a due flow's file cannot be read and no schedule of it was ever read (a store from
	 * before schedules were kept), how soon it is tried again (1 h).
	 */
	retryMs?: number;
};

/** A gate script's verdict: run or not, and the values for the prompt's placeholders. */
type Gate = { execute: boolean; output: Record<string, unknown> };

/** The gate's verdict from what it printed. */
const verdictOf = (stdout: string): Gate => {
	let verdict: unknown;
	try {
		verdict = JSON.parse(stdout);
	} catch {
		throw new CaoError('script printed no JSON ({"execute": true|false, "output": {...}})');
	}
	const { execute, output } = (verdict ?? {}) as { execute?: unknown; output?: unknown };
	if (typeof execute !== 'boolean') throw new CaoError('script JSON has no boolean "execute"');
	if (output !== undefined && (output === null || typeof output !== 'object' || Array.isArray(output)))
		throw new CaoError('script JSON "output" is not an object');
	return { execute, output: (output ?? {}) as Record<string, unknown> };
};

/**
 * Runs the gate with an argument vector (no shell) in the flow's folder, in a process group of its
 * own, so a timeout ends whatever it started too; one line when it fails.
 */
const runGate = (script: string, folder: string, timeoutMs: number): Promise<Gate> =>
	new Promise((resolveGate, reject) => {
		const { program, args } = gateCommand(script, folder);
		const child = spawn(program, args, { cwd: folder, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			if (stdout.length < 1024 * 1024) stdout += chunk;
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			if (stderr.length < 64 * 1024) stderr += chunk;
		});
		const timer = setTimeout(() => {
			timedOut = true;
			if (child.pid) process.kill(-child.pid, 'SIGKILL');
		}, timeoutMs);
		child.on('error', (error: NodeJS.ErrnoException) => {
			clearTimeout(timer);
			reject(error.code === 'ENOENT' ? new CaoError(`script not found: ${program}`) : error);
		});
		child.on('close', (code) => {
			clearTimeout(timer);
			if (timedOut) return reject(new CaoError(`script timed out after ${timeoutMs / 1000}s`));
			if (code !== 0) {
				const detail = stderr.trim().split('\n')[0];
				return reject(new CaoError(`script exited with ${String(code)}${detail ? `: ${detail}` : ''}`));
			}
			try {
				resolveGate(verdictOf(stdout));
			} catch (error) {
				reject(error);
			}
		});
	});

/** The flow called `name`; one line when there is none. */
export const flowNamed = (flows: FlowRepository, name: string): FlowRecord => {
	const record = flows.get(assertFlowName(name));
	if (!record) throw new NotFoundError(`no flow '${name}' (see cao-tui flow list)`);
	return record;
};

/** Enables a flow (its next run counted from now) or disables it, in the store; the next run. */
export const setFlowEnabled = async (
	flows: FlowRepository,
	record: FlowRecord,
	enable: boolean,
	now = Date.now(),
): Promise<number | null> => {
	const next = enable ? nextRunAfter(await loadFlow(record.file), now) : null;
	flows.setEnabled(record.name, enable, next);
	return next;
};

/**
 * Runs flows on schedule: at each flow's next run (persisted), it gates on the script, renders the
 * prompt, replaces the previous run's agent (or skips when that one still works) in session
 * `cao-flow-NAME`, sends the prompt and records the run. Runs missed while no engine ran are
 * skipped, or run once at start with `catchup`.
 */
export const createFlowService = (options: FlowServiceOptions) => {
	const { bus, flows, terminals } = options;
	const now = options.now ?? Date.now;
	const tickMs = options.tickMs ?? 30_000;
	const turnTimeoutMs = options.turnTimeoutMs ?? 30 * 60_000;
	const scriptTimeoutMs = options.scriptTimeoutMs ?? 30_000;
	const retryMs = options.retryMs ?? 60 * 60_000;
	const running = new Set<string>();
	let timer: NodeJS.Timeout | undefined;
	let stopped = true;

	/**
	 * Reads the flow's file; a schedule changed there is stored, and an enabled flow's next run
	 * follows it.
	 */
	const load = async (record: FlowRecord): Promise<Flow> => {
		const flow = await loadFlow(record.file);
		if (flow.schedule !== record.schedule || (flow.timezone ?? null) !== record.timezone) {
			flows.setSchedule(record.name, flow);
			if (record.enabled) flows.setNextRun(record.name, nextRunAfter(flow, now()));
		}
		return flow;
	};
	/** The next run after `at` on the schedule last read, or a retry when none was ever read. */
	const nextOnStoredSchedule = (record: FlowRecord, at: number): number | null =>
		record.schedule === null
			? at + retryMs
			: nextRunAfter(
					{ schedule: record.schedule, ...(record.timezone ? { timezone: record.timezone } : {}) },
					at,
				);
	const skip = (name: string, runId: string, reason: string) => {
		flows.recordRun(name, now(), 'skipped', reason);
		bus.emit(flowTopic(name, 'skipped'), { flow: name, runId, reason, at: now() });
	};
	const fail = (name: string, runId: string, reason: string) => {
		flows.recordRun(name, now(), 'failed', reason);
		bus.emit(flowTopic(name, 'failed'), { flow: name, runId, reason, at: now() });
	};
	const newRunId = () => randomBytes(4).toString('hex');

	/** One run of flow `name`, now, as run `runId`; resolves when it is recorded. */
	const run = async (name: string, runId = newRunId()): Promise<void> => {
		const record = flows.get(name);
		if (!record) throw new CaoError(`no flow '${name}'`);
		if (running.has(name)) return skip(name, runId, 'busy: the previous run is still going');
		running.add(name);
		try {
			let flow: Flow;
			let prompt: string;
			try {
				flow = await load(record);
				// Checked at every run, not only at `flow add`: the files may have changed since.
				const untrusted = await flowTrustProblem(flow, record.file);
				if (untrusted) throw new CaoError(untrusted);
				const previous = record.terminalId ? terminals.statusOf(record.terminalId) : undefined;
				if (previous === 'processing')
					return skip(name, runId, `busy: the previous run's agent (${record.terminalId}) still works`);
				const gate = flow.script
					? await runGate(flow.script, dirname(record.file), scriptTimeoutMs)
					: undefined;
				if (gate && !gate.execute) return skip(name, runId, 'the script said not to run');
				prompt = renderPrompt(flow.prompt, gate?.output ?? {});
				if (record.terminalId && previous !== undefined) await terminals.remove(record.terminalId);
			} catch (error) {
				return fail(name, runId, oneLine(error));
			}
			let terminalId: string;
			try {
				({ id: terminalId } = await terminals.create({
					profile: flow.agentProfile,
					...(flow.provider ? { provider: flow.provider } : {}),
					session: `flow-${name}`,
					...(flow.workingDirectory
						? { workingDirectory: resolve(dirname(record.file), flow.workingDirectory) }
						: {}),
				}));
			} catch (error) {
				return fail(name, runId, oneLine(error));
			}
			flows.recordRun(name, now(), 'started', null, terminalId);
			bus.emit(flowTopic(name, 'started'), { flow: name, runId, terminalId, at: now() });
			const outcome = await runTurn({
				follow: (onSignal) => {
					const offStatus = bus.on(terminalTopic(terminalId, 'status'), ({ status }) => onSignal({ status }));
					const offExit = bus.on(terminalTopic(terminalId, 'exited'), () => onSignal('exited'));
					return () => {
						offStatus();
						offExit();
					};
				},
				send: () => terminals.sendInput(terminalId, prompt),
				timeoutMs: turnTimeoutMs,
			}).catch((error: unknown) => oneLine(error));
			if (outcome !== 'completed') {
				const why =
					outcome === 'timeout'
						? `the agent did not finish within ${turnTimeoutMs / 1000}s`
						: outcome === 'waiting_user_answer'
							? `the agent is waiting for an answer (cao-tui attach ${terminalId})`
							: outcome === 'error'
								? 'the agent ended its turn with an error'
								: outcome === 'exited'
									? 'the agent exited'
									: outcome;
				return fail(name, runId, why);
			}
			const reply = await terminals.lastReply(terminalId).catch(() => '');
			flows.recordRun(name, now(), 'completed', reply);
			bus.emit(flowTopic(name, 'completed'), { flow: name, runId, terminalId, reply, at: now() });
		} finally {
			running.delete(name);
		}
	};

	/** Runs what is due, then sleeps until the next run (at most `tickMs`). */
	const tick = () => {
		if (stopped) return;
		const at = now();
		let next = at + tickMs;
		for (const record of flows.list()) {
			if (!record.enabled || record.nextRun === null) continue;
			if (record.nextRun <= at) {
				// The next run comes from the schedule last read (the run reads the file again, and an
				// edited schedule moves it): a file that cannot be read fails this run, not the later ones.
				flows.setNextRun(record.name, nextOnStoredSchedule(record, at));
				void run(record.name).catch(() => {});
			} else next = Math.min(next, record.nextRun);
		}
		timer = setTimeout(tick, Math.max(0, next - now()));
	};

	const existing = (name: string) => flowNamed(flows, name);

	/**
	 * Starts a run now and returns its id: an unknown flow throws here, the run's outcome comes as
	 * flow.NAME.* events carrying that id.
	 */
	const startRun = (name: string): string => {
		existing(name);
		const runId = newRunId();
		void run(name, runId).catch(() => {});
		return runId;
	};

	return {
		run,
		startRun,
		/** Enables or disables a flow; the schedule takes it into account at once. */
		async setEnabled(name: string, enable: boolean): Promise<number | null> {
			const next = await setFlowEnabled(flows, existing(name), enable, now());
			if (!stopped) {
				clearTimeout(timer);
				tick();
			}
			return next;
		},
		/** Deals with runs missed while no engine ran, then starts the schedule. */
		async start() {
			stopped = false;
			for (const record of flows.list()) {
				if (!record.enabled) continue;
				let flow: Flow;
				try {
					flow = await load(record);
					// Checked at every run, not only at `flow add`: the files may have changed since.
					const untrusted = await flowTrustProblem(flow, record.file);
					if (untrusted) throw new CaoError(untrusted);
				} catch (error) {
					fail(record.name, newRunId(), oneLine(error));
					// A next run still to come stays; a passed one moves to the schedule last read.
					if (record.nextRun === null || record.nextRun <= now())
						flows.setNextRun(record.name, nextOnStoredSchedule(record, now()));
					continue;
				}
				const plan = missedRunPlan(flow, record.nextRun, now());
				flows.setNextRun(record.name, plan.nextRun);
				if (plan.runNow) void run(record.name).catch(() => {});
				else if (plan.missed) skip(record.name, newRunId(), 'missed while no engine ran');
			}
			tick();
		},
		stop() {
			stopped = true;
			clearTimeout(timer);
		},
	};
};

export type FlowService = ReturnType<typeof createFlowService>;
