import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../../errors.js';
import type { EventBus, Unsubscribe } from '../bus.js';

export const logFlushMs = 250;

export type LogWriterOptions = {
	bus: EventBus;
	directory: string;
	/** Called once per failure streak of a terminal's log, never per chunk. */
	warn: (message: string) => void;
	flushMs?: number;
};

/**
 * Appends each terminal's raw output to `{directory}/{id}.log`. Chunks are gathered in memory and
 * written by one timer, so the output path never waits on the disk; a failed write is reported
 * once and the data of that flush is dropped rather than piling up.
 */
export const createLogWriter = (options: LogWriterOptions) => {
	const { bus, directory, warn } = options;
	const flushMs = options.flushMs ?? logFlushMs;
	const pending = new Map<string, string[]>();
	const failing = new Set<string>();
	let timer: NodeJS.Timeout | undefined;
	let writing: Promise<void> = Promise.resolve();
	let unsubscribe: Unsubscribe | undefined;

	const pathOf = (id: string) => join(directory, `${id}.log`);

	const writeOne = async (id: string, chunks: string[]) => {
		try {
			await appendFile(pathOf(id), chunks.join(''), { mode: 0o600 });
			failing.delete(id);
		} catch (error) {
			if (!failing.has(id)) {
				failing.add(id);
				warn(`log for terminal ${id} not written: ${oneLine(error)}`);
			}
		}
	};

	const flush = (): Promise<void> => {
		timer = undefined;
		if (pending.size === 0) return writing;
		const batch = [...pending];
		pending.clear();
		// Writes chain so a terminal's chunks land in order even when a flush is slow.
		writing = writing
			.then(() => Promise.all(batch.map(([id, chunks]) => writeOne(id, chunks))))
			.then(() => {});
		return writing;
	};

	return {
		start() {
			try {
				mkdirSync(directory, { recursive: true, mode: 0o700 });
			} catch (error) {
				warn(`log folder ${directory} not usable: ${oneLine(error)}`);
			}
			unsubscribe ??= bus.on('terminal.*.output', ({ terminalId, data }) => {
				const chunks = pending.get(terminalId);
				if (chunks) chunks.push(data);
				else pending.set(terminalId, [data]);
				timer ??= setTimeout(flush, flushMs);
			});
		},
		pathOf,
		/** Writes what is pending now. */
		flush,
		async stop() {
			unsubscribe?.();
			unsubscribe = undefined;
			if (timer) clearTimeout(timer);
			await flush();
		},
	};
};

export type LogWriter = ReturnType<typeof createLogWriter>;
