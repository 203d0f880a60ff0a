import type { EventBus } from '../engine/bus.js';
import { serverGoneReason } from '../engine/backends/types.js';
import type { StatusSnapshot } from '../engine/status/status-monitor.js';
import type { FlowRecord } from '../engine/store/flow-repository.js';
import type { TerminalRecord } from '../engine/store/terminal-repository.js';
import { oneLine } from '../errors.js';
import { historyLimit, type FlowView, type PanelModel, type TerminalView } from './model.js';

/** What the panel reads from the engine: narrow, so a test can hand it a real engine's parts. */
export type PanelSource = {
	bus: EventBus;
	backend: string;
	listTerminals(): TerminalRecord[];
	statusOf(id: string): StatusSnapshot | undefined;
	pendingCount(id: string): number;
	listFlows(): FlowRecord[];
	/** The terminal's screen as plain text rows. */
	capture(id: string): Promise<string>;
	/** The agent's last reply on that screen, as its provider reads it. */
	lastReply(id: string, screen: string): string;
};

export type PanelStoreOptions = {
	/** Redraws at most this often (a burst of events is one redraw). */
	maxFps?: number;
	/** How often an unselected card's last line may be read again while its agent writes. */
	lastLineMs?: number;
	/** How often the selected terminal's preview may be read again while its agent writes. */
	previewMs?: number;
	warningMs?: number;
	now?: () => number;
};

const viewOf = (
	record: TerminalRecord,
	status: StatusSnapshot | undefined,
	pending: number,
): TerminalView => ({
	id: record.id,
	name: record.profile ?? record.provider,
	profile: record.profile,
	provider: record.provider,
	session: record.session,
	window: record.window,
	workingDirectory: record.workingDirectory,
	status: status?.status ?? record.lastStatus,
	since: status?.at ?? record.lastActiveAt,
	rule: status?.rule ?? '',
	line: status?.line ?? '',
	pending,
	lastLine: '',
	history: status ? [{ status: status.status, rule: status.rule, line: status.line, at: status.at }] : [],
});

const flowViewOf = (record: FlowRecord): FlowView => ({
	name: record.name,
	enabled: record.enabled,
	nextRun: record.nextRun,
	lastRun: record.lastRun,
	lastResult: record.lastResult,
	lastDetail: record.lastDetail,
});

const lastLineOf = (text: string) =>
	text
		.split('\n')
		.findLast((row) => row.trim() !== '')
		?.trim() ?? '';

/**
 * The line a card shows: a finished turn's last reply line; otherwise the evidence of the status
 * (the spinner, the question), else the screen's last line.
 */
const cardLine = (terminal: TerminalView, screen: { reply: string; last: string }) =>
	(terminal.status === 'completed' ? screen.reply : terminal.line.trim()) || screen.last;

const screenRows = (screen: string): string[] => {
	const rows = screen.split('\n').map((row) => row.trimEnd());
	while (rows.length > 0 && rows.at(-1) === '') rows.pop();
	return rows;
};

/** One line for the exits a dead tmux server caused: "tmux server is gone: 3 terminals exited". */
export const serverGoneNotice = (count: number): string =>
	`tmux server is gone: ${count} ${count === 1 ? 'terminal' : 'terminals'} exited`;

/**
 * The panel's model, kept from engine events (never by polling the statuses). Screens are read
 * with the backend's capture, only when a terminal wrote something, at most once a second per
 * card (the selected one four times a second). Listeners are told at most `maxFps` times a second.
 */
export const createPanelStore = (source: PanelSource, options: PanelStoreOptions = {}) => {
	const now = options.now ?? Date.now;
	const frameMs = 1000 / (options.maxFps ?? 15);
	const lastLineMs = options.lastLineMs ?? 1000;
	const previewMs = options.previewMs ?? 250;
	const warningMs = options.warningMs ?? 10_000;

	const terminals = new Map<string, TerminalView>();
	/** What the last read of each screen said. */
	const screens = new Map<string, { reply: string; last: string }>();
	for (const record of source.listTerminals())
		terminals.set(record.id, viewOf(record, source.statusOf(record.id), source.pendingCount(record.id)));
	let flows = source.listFlows().map(flowViewOf);
	let warning: { message: string; at: number } | null = null;
	/** The terminals a dead tmux server took with it: one notice counts them all. */
	let serverGone: { count: number; at: number } | null = null;
	let selected: string | null = null;
	let preview: PanelModel['preview'] = null;
	let snapshot: PanelModel | undefined;
	const listeners = new Set<() => void>();

	let lastEmit = 0;
	let frameTimer: NodeJS.Timeout | undefined;
	const emit = () => {
		frameTimer = undefined;
		lastEmit = now();
		snapshot = undefined;
		for (const listener of listeners) listener();
	};
	/** A change: one redraw soon, however many changes come before it. */
	const changed = () => {
		if (frameTimer) return;
		frameTimer = setTimeout(emit, Math.max(0, lastEmit + frameMs - now()));
	};

	/** Per terminal: when its screen was last read, and whether a read is due. */
	const reads = new Map<string, { at: number; timer?: NodeJS.Timeout; running: boolean }>();
	const readScreen = async (id: string) => {
		const state = reads.get(id) ?? { at: 0, running: false };
		reads.set(id, state);
		state.timer = undefined;
		if (state.running) return;
		state.running = true;
		state.at = now();
		try {
			const screen = await source.capture(id);
			const rows = screenRows(screen);
			const terminal = terminals.get(id);
			if (!terminal) return;
			let reply = '';
			try {
				reply = lastLineOf(source.lastReply(id, screen));
			} catch {
				// A provider that cannot read the reply: the screen's last line will do.
			}
			screens.set(id, { reply, last: lastLineOf(rows.join('\n')) });
			if (selected === id) preview = { terminalId: id, rows };
			changed();
		} catch {
			// Gone meanwhile: its exit event removes it.
		} finally {
			state.running = false;
		}
	};
	/** Reads the screen now, or once the terminal's read interval has passed. */
	const scheduleRead = (id: string) => {
		const state = reads.get(id) ?? { at: 0, running: false };
		reads.set(id, state);
		if (state.timer) return;
		const wait = state.at + (id === selected ? previewMs : lastLineMs) - now();
		if (wait <= 0) void readScreen(id);
		else state.timer = setTimeout(() => void readScreen(id), wait);
	};

	const addTerminal = (id: string) => {
		const record = source.listTerminals().find((candidate) => candidate.id === id);
		if (!record) return;
		terminals.set(id, viewOf(record, source.statusOf(id), source.pendingCount(id)));
		scheduleRead(id);
		changed();
	};

	const unsubscribes = [
		source.bus.on('terminal.*.created', ({ terminalId }) => addTerminal(terminalId)),
		source.bus.on('terminal.*.status', ({ terminalId, status, rule, line, at }) => {
			const terminal = terminals.get(terminalId);
			if (!terminal) return addTerminal(terminalId);
			Object.assign(terminal, { status, rule, line, since: at });
			terminal.history = [...terminal.history, { status, rule, line, at }].slice(-historyLimit);
			changed();
		}),
		source.bus.on('terminal.*.output', ({ terminalId }) => {
			if (terminals.has(terminalId)) scheduleRead(terminalId);
		}),
		source.bus.on('terminal.*.exited', ({ terminalId, reason, at }) => {
			if (reason === serverGoneReason) {
				// The exits of one server's death come together: counted while the notice shows.
				const count = serverGone && at - serverGone.at < warningMs ? serverGone.count + 1 : 1;
				serverGone = { count, at };
				warning = { message: serverGoneNotice(count), at };
			}
			terminals.delete(terminalId);
			screens.delete(terminalId);
			clearTimeout(reads.get(terminalId)?.timer);
			reads.delete(terminalId);
			if (preview?.terminalId === terminalId) preview = null;
			changed();
		}),
		...(['queued', 'delivered', 'failed'] as const).map((kind) =>
			source.bus.on(`inbox.*.${kind}`, ({ receiverId }) => {
				const terminal = terminals.get(receiverId);
				if (!terminal) return;
				terminal.pending = source.pendingCount(receiverId);
				changed();
			}),
		),
		...(['started', 'skipped', 'completed', 'failed'] as const).map((kind) =>
			source.bus.on(`flow.*.${kind}`, () => {
				flows = source.listFlows().map(flowViewOf);
				changed();
			}),
		),
		source.bus.on('engine.warning', ({ message, at }) => {
			warning = { message: oneLine(message), at };
			changed();
		}),
	];

	// The durations on the cards and the flows' next runs move with the clock; flows added or
	// switched by `cao-tui flow` (another process) are read again with it.
	const clock = setInterval(() => {
		flows = source.listFlows().map(flowViewOf);
		changed();
	}, 1000);
	clock.unref();
	for (const id of terminals.keys()) scheduleRead(id);

	return {
		getSnapshot(): PanelModel {
			snapshot ??= {
				backend: source.backend,
				terminals: [...terminals.values()].map((terminal) => ({
					...terminal,
					lastLine: cardLine(terminal, screens.get(terminal.id) ?? { reply: '', last: '' }),
				})),
				flows,
				warning: warning && now() - warning.at < warningMs ? warning.message : null,
				preview: preview?.terminalId === selected ? preview : null,
				now: now(),
			};
			return snapshot;
		},
		subscribe(listener: () => void): () => void {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		/** The terminal whose screen the detail pane shows. */
		select(id: string | null) {
			if (id === selected) return;
			selected = id;
			preview = null;
			if (id) void readScreen(id);
			changed();
		},
		/** Flows changed outside the bus (enabled, disabled): read them again. */
		reloadFlows() {
			flows = source.listFlows().map(flowViewOf);
			changed();
		},
		stop() {
			for (const unsubscribe of unsubscribes) unsubscribe();
			clearInterval(clock);
			clearTimeout(frameTimer);
			for (const state of reads.values()) clearTimeout(state.timer);
			listeners.clear();
		},
	};
};

export type PanelStore = ReturnType<typeof createPanelStore>;
