import type { TerminalStatus } from '../engine/status/statuses.js';

/** One status change and its evidence, as the detail pane lists it. */
export type StatusChange = { status: TerminalStatus; rule: string; line: string; at: number };

/** What the panel shows of one terminal. */
export type TerminalView = {
	id: string;
	/** The profile's name, else the provider's. */
	name: string;
	profile: string | null;
	provider: string;
	session: string;
	window: string;
	workingDirectory: string;
	status: TerminalStatus;
	/** Since when it has had this status. */
	since: number;
	rule: string;
	line: string;
	/** Messages waiting for it in its inbox. */
	pending: number;
	/** The last line of its screen that is not blank. */
	lastLine: string;
	/** The newest status changes, oldest first. */
	history: StatusChange[];
};

export type FlowView = {
	name: string;
	enabled: boolean;
	nextRun: number | null;
	lastRun: number | null;
	lastResult: string | null;
	lastDetail: string | null;
};

/** Everything the panel draws, as one snapshot. */
export type PanelModel = {
	/** Where the terminals live: "tmux -L name" or "pty". */
	backend: string;
	terminals: TerminalView[];
	flows: FlowView[];
	/** The newest engine warning, shown in the header for a while. */
	warning: string | null;
	/** The selected terminal's rendered screen. */
	preview: { terminalId: string; rows: string[] } | null;
	now: number;
};

export const historyLimit = 8;

/** How each status reads: a glyph (so it reads without colour), a word and a colour. */
export const badges: Readonly<Record<TerminalStatus, { glyph: string; label: string; color: string }>> = {
	unknown: { glyph: '·', label: 'unknown', color: 'gray' },
	idle: { glyph: '○', label: 'idle', color: 'blue' },
	processing: { glyph: '◐', label: 'processing', color: 'yellow' },
	completed: { glyph: '●', label: 'completed', color: 'green' },
	waiting_user_answer: { glyph: '?', label: 'waiting', color: 'magenta' },
	error: { glyph: '✗', label: 'error', color: 'red' },
};

/** "5s", "3m 20s", "2h 5m", "3d 4h": how long a status has lasted. */
export const formatDuration = (ms: number): string => {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return `${hours}h ${minutes % 60}m`;
	return `${Math.floor(hours / 24)}d ${hours % 24}h`;
};

/** "in 4m 10s" or "now" for a time to come; "-" for none. */
export const formatUntil = (at: number | null, now: number): string =>
	at === null ? '-' : at <= now ? 'now' : `in ${formatDuration(at - now)}`;

/** Terminals whose name, id, provider, profile or status contains the filter (any case). */
export const filterTerminals = (terminals: readonly TerminalView[], filter: string): TerminalView[] => {
	const needle = filter.trim().toLowerCase();
	if (!needle) return [...terminals];
	return terminals.filter((terminal) =>
		[
			terminal.name,
			terminal.id,
			terminal.provider,
			terminal.profile ?? '',
			terminal.status,
			badges[terminal.status].label,
		].some((field) => field.toLowerCase().includes(needle)),
	);
};

/** Terminals by status, in the order the header lists them. */
export const countByStatus = (terminals: readonly TerminalView[]): [TerminalStatus, number][] => {
	const counts = new Map<TerminalStatus, number>();
	for (const terminal of terminals) counts.set(terminal.status, (counts.get(terminal.status) ?? 0) + 1);
	const order: TerminalStatus[] = [
		'waiting_user_answer',
		'error',
		'processing',
		'completed',
		'idle',
		'unknown',
	];
	return order.filter((status) => counts.has(status)).map((status) => [status, counts.get(status) ?? 0]);
};

/** The soonest run of an enabled flow. */
export const nextFlowRun = (flows: readonly FlowView[]): FlowView | undefined =>
	flows
		.filter((flow) => flow.enabled && flow.nextRun !== null)
		.sort((a, b) => (a.nextRun ?? 0) - (b.nextRun ?? 0))[0];

/** The index of the next terminal after `from` that waits for an answer (wrapping), or `from`. */
export const nextWaiting = (terminals: readonly TerminalView[], from: number): number => {
	for (let step = 1; step <= terminals.length; step++) {
		const index = (from + step) % terminals.length;
		if (terminals[index]?.status === 'waiting_user_answer') return index;
	}
	return from;
};

/** Width of one card in the grid, borders included. */
export const cardWidth = 38;
/** Below this width the grid becomes a list, one terminal per row. */
export const listBelow = 2 * cardWidth;

/** Columns of cards for a width: 0 means the one-line list. */
export const columnsFor = (width: number): number => (width < listBelow ? 0 : Math.floor(width / cardWidth));

/** The selection after a move in a grid of `columns` (a list moves only up and down). */
export const moveSelection = (
	index: number,
	move: 'up' | 'down' | 'left' | 'right',
	columns: number,
	count: number,
): number => {
	if (count === 0) return 0;
	const across = Math.max(columns, 1);
	const next = {
		up: index - across,
		down: index + across,
		left: columns > 1 && index % across > 0 ? index - 1 : index,
		right: columns > 1 && index % across < across - 1 ? index + 1 : index,
	}[move];
	if (next < 0) return index;
	// Down from the last full row lands on the last card, as in a file manager.
	if (next >= count)
		return move === 'down' && Math.floor(index / across) < Math.floor((count - 1) / across)
			? count - 1
			: index;
	return next;
};

/** The first row of cards to draw so that the selected row shows in `rows` rows of cards. */
export const scrollTop = (selectedRow: number, top: number, rows: number): number => {
	if (rows <= 0) return selectedRow;
	if (selectedRow < top) return selectedRow;
	if (selectedRow >= top + rows) return selectedRow - rows + 1;
	return top;
};

/** A line cut to `width` columns with an ellipsis. */
export const fit = (text: string, width: number): string => {
	if (width <= 0) return '';
	const chars = Array.from(text);
	return chars.length <= width ? text : `${chars.slice(0, Math.max(width - 1, 0)).join('')}…`;
};
