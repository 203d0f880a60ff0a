import { PassThrough } from 'node:stream';
import { isCiMarker } from '../ci-markers.js';
import { createEventBus } from '../engine/bus.js';
import { terminalTopic } from '../engine/events.js';
import type { StatusSnapshot } from '../engine/status/status-monitor.js';
import { type TerminalStatus, terminalStatuses } from '../engine/status/statuses.js';
import type { TerminalRecord } from '../engine/store/terminal-repository.js';
import type { PanelActions } from '../ui/components/app.js';
import { speedUpInkOutput } from '../ui/ink-output.js';
import { createPanelStore, type PanelSource } from '../ui/panel-store.js';
import { median, runArgs } from './run-args.js';

/**
 * `npm run bench:panel-render`: the panel (the real App, store and Ink) drawing N cards, 200×50,
 * while status events come for random terminals as fast as a busy engine sends them. The store
 * redraws at most 15 times a second; each redraw's time is Ink's own measure (layout and output).
 * The target: a redraw under 16 ms with 200 cards. The engine is left out: a stand-in source gives
 * the records, statuses and screens, so only the panel's cost is measured.
 */

const usage = 'Usage: npm run bench:panel-render -- [--n 200] [--seconds 10] [--runs 3]';
const { count, seconds, runs } = runArgs(usage, { n: 200, seconds: 10, runs: 3 });

// As the panel runs: Ink draws only its last frame where CI markers are set, and React's
// development build is not what users run.
for (const name of Object.keys(process.env)) if (isCiMarker(name)) delete process.env[name];
process.env.NODE_ENV ??= 'production';
const [{ render }, { createElement }, { App }] = await Promise.all([
	import('ink'),
	import('react'),
	import('../ui/components/app.js'),
	speedUpInkOutput(),
]);

const percentile = (sorted: readonly number[], fraction: number) =>
	sorted[Math.max(0, Math.ceil(sorted.length * fraction) - 1)] ?? 0;

/** A terminal the size of the panel's, for Ink to draw into. */
const fakeTty = () => {
	const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 200, rows: 50 });
	stdout.resume();
	const stdin = Object.assign(new PassThrough(), {
		isTTY: true,
		isRaw: false,
		setRawMode() {
			return stdin;
		},
		ref() {
			return stdin;
		},
		unref() {
			return stdin;
		},
	});
	return { stdout, stdin };
};

const runOnce = async () => {
	const bus = createEventBus((error) => {
		throw error;
	});
	const started = Date.now();
	const records: TerminalRecord[] = Array.from({ length: count }, (_, index) => {
		const id = index.toString(16).padStart(8, '0');
		return {
			id,
			session: `cao-team-${index % 10}`,
			window: `developer-${id}`,
			provider: 'claude_code',
			profile: 'developer',
			workingDirectory: '/home/me/project',
			callerId: null,
			createdAt: started,
			lastActiveAt: started,
			lastStatus: 'idle',
			exitedAt: null,
		};
	});
	const statuses = new Map<string, StatusSnapshot>(
		records.map((record) => [
			record.id,
			{ status: 'idle', rule: 'claude_code.prompt', line: '❯', at: started },
		]),
	);
	const screen = Array.from({ length: 50 }, (_, row) => `line ${row} of a screen full of agent output`).join(
		'\n',
	);
	const source: PanelSource = {
		bus,
		backend: 'tmux -L bench',
		listTerminals: () => records,
		statusOf: (id) => statuses.get(id),
		pendingCount: () => 0,
		listFlows: () => [],
		capture: async () => screen,
		lastReply: () => 'Done: the tests pass and the branch is pushed.',
	};
	const store = createPanelStore(source);
	const nothing = async () => {};
	const actions: PanelActions = {
		createTerminal: async () => ({ id: '00000000' }),
		sendInput: nothing,
		sendMessage: nothing,
		kill: nothing,
		runFlow: nothing,
		setFlowEnabled: nothing,
		attach: nothing,
		quit: () => {},
	};
	const renderTimes: number[] = [];
	const { stdout, stdin } = fakeTty();
	const instance = render(
		createElement(App, {
			store,
			actions,
			choices: { profiles: ['developer'], providers: ['claude_code'], workingDirectory: '/home/me' },
		}),
		{
			stdout: stdout as unknown as NodeJS.WriteStream,
			stdin: stdin as unknown as NodeJS.ReadStream,
			exitOnCtrlC: false,
			patchConsole: false,
			maxFps: 15,
			onRender: ({ renderTime }) => renderTimes.push(renderTime),
		},
	);
	// A busy engine: a status change for some terminal every 5 ms (200 a second).
	const cycle: readonly TerminalStatus[] = terminalStatuses.filter((status) => status !== 'unknown');
	let step = 0;
	const feeder = setInterval(() => {
		const record = records[step % records.length] as TerminalRecord;
		const previous = statuses.get(record.id)?.status ?? 'idle';
		const status = cycle[(cycle.indexOf(previous) + 1) % cycle.length] ?? 'idle';
		const snapshot = { status, rule: 'claude_code.spinner', line: `✢ Working… (${step}s)`, at: Date.now() };
		statuses.set(record.id, snapshot);
		bus.emit(terminalTopic(record.id, 'status'), { terminalId: record.id, previous, ...snapshot });
		step++;
	}, 5);
	await new Promise((resolve) => setTimeout(resolve, 1000));
	renderTimes.length = 0;
	const start = Date.now();
	await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
	const wall = (Date.now() - start) / 1000;
	clearInterval(feeder);
	const rss = process.memoryUsage().rss / 1024 / 1024;
	instance.unmount();
	store.stop();
	const sorted = [...renderTimes].sort((a, b) => a - b);
	return {
		redraws: renderTimes.length / wall,
		p50: percentile(sorted, 0.5),
		p99: percentile(sorted, 0.99),
		max: sorted.at(-1) ?? 0,
		rss,
	};
};

type RunFigures = Awaited<ReturnType<typeof runOnce>>;
const results: RunFigures[] = [];
for (let run = 1; run <= runs; run++) {
	process.stderr.write(`run ${run}/${runs}…\n`);
	results.push(await runOnce());
}
const pick = (key: keyof RunFigures) => median(results.map((result) => result[key]));
const p99 = pick('p99');
process.stdout.write(
	[
		`cao-tui panel redraw: ${count} cards at 200×50, a status change every 5 ms, ${seconds} s per run, medians of ${runs} runs`,
		`redraws per second     ${pick('redraws').toFixed(1)}`,
		`redraw time p50 (ms)   ${pick('p50').toFixed(1)}`,
		`redraw time p99 (ms)   ${p99.toFixed(1)}   target < 16 ms: ${p99 < 16 ? 'ok' : 'MISS <<<'}`,
		`redraw time max (ms)   ${pick('max').toFixed(1)}`,
		`RSS (MB)               ${pick('rss').toFixed(1)}`,
		'',
	].join('\n'),
);
process.exit(0);
