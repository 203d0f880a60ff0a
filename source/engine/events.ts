import type { PruneCounts } from './retention/prune.js';
import type { TerminalStatus } from './status/statuses.js';

/** Payloads of the `terminal.{id}.*` topics, keyed by the last topic segment. */
export type TerminalEvents = {
	/**
	 * Raw output, coalesced (~50 ms, at most 64 KB): `data` decoded as whole UTF-8 characters,
	 * `bytes` as it came (for the log). `bytes` is a view of a buffer that is reused once the
	 * handlers have run: a handler that keeps it copies it. Engine-internal: never printed or sent
	 * to clients.
	 */
	output: { terminalId: string; data: string; bytes: Buffer; at: number };
	status: {
		terminalId: string;
		status: TerminalStatus;
		previous: TerminalStatus;
		/** Id of the detection rule that decided the status: the evidence. */
		rule: string;
		/** The screen line that rule matched. */
		line: string;
		at: number;
	};
	created: {
		terminalId: string;
		session: string;
		window: string;
		provider: string;
		profile: string | null;
		workingDirectory: string;
		at: number;
	};
	exited: { terminalId: string; reason: string; at: number };
	/** Input or keys were sent through cao-tui (the text itself is not carried). */
	input: { terminalId: string; kind: 'text' | 'keys'; at: number };
	/** The agent's cao MCP server was asked for its tools: handoff, assign and send_message are there. */
	tools: { terminalId: string; at: number };
};

/** Engine-wide notices that are not about one terminal. */
export type EngineEvents = {
	started: { backend: string; home: string; pid: number; at: number };
	stopped: { at: number };
	/**
	 * At start, what ended terminals left for longer than the retention period was removed
	 * (published only when something was).
	 */
	pruned: { retentionDays: number; removed: PruneCounts; message: string; at: number };
	/** Something degraded but the engine runs on (a log write failed, a handler threw). */
	warning: { message: string; at: number };
};

/** Messages between agents: `inbox.{receiverId}.*`. */
export type InboxEvents = {
	queued: { messageId: number; senderId: string; receiverId: string; at: number };
	/** One paste: contiguous messages of one sender, oldest first. */
	delivered: { messageIds: number[]; senderId: string; receiverId: string; at: number };
	failed: { messageIds: number[]; senderId: string; receiverId: string; error: string; at: number };
};

/**
 * Scheduled flows: `flow.{name}.*`. `runId` tells one run's events from another's (whoever
 * started a run follows its own).
 */
export type FlowEvents = {
	started: { flow: string; runId: string; terminalId: string; at: number };
	skipped: { flow: string; runId: string; reason: string; at: number };
	completed: { flow: string; runId: string; terminalId: string; reply: string; at: number };
	failed: { flow: string; runId: string; reason: string; at: number };
};

export type EventMap = {
	[K in keyof TerminalEvents as `terminal.${string}.${K}`]: TerminalEvents[K];
} & {
	[K in keyof InboxEvents as `inbox.${string}.${K}`]: InboxEvents[K];
} & {
	[K in keyof FlowEvents as `flow.${string}.${K}`]: FlowEvents[K];
} & {
	[K in keyof EngineEvents as `engine.${K}`]: EngineEvents[K];
};

export type Topic = keyof EventMap & string;

/** The topic of an inbox event of one receiver, typed by its kind. */
export const inboxTopic = <K extends keyof InboxEvents>(receiverId: string, kind: K) =>
	`inbox.${receiverId}.${kind}` as const;

/** The topic of one flow's event, typed by its kind. */
export const flowTopic = <K extends keyof FlowEvents>(flow: string, kind: K) =>
	`flow.${flow}.${kind}` as const;

/** The topic of one terminal's event, typed by its kind. */
export const terminalTopic = <K extends keyof TerminalEvents>(terminalId: string, kind: K) =>
	`terminal.${terminalId}.${kind}` as const;
