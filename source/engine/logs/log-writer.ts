import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
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

type TerminalLog = { chunks: string[]; handle: Promise<FileHandle> | undefined; failing: boolean };

/**
 * Appends each terminal's raw output to `{directory}/{id}.log`. Chunks are gathered in memory and
 * written by one timer through a file handle kept open per terminal (opening and closing files
 * at every flush cost a third of the engine's CPU with 200 terminals), so the output path never
 * waits on the disk. A failed write is reported once; that flush's data is dropped rather than
 * piling up, and the file is opened afresh next time.
 */
export const createLogWriter = (options: LogWriterOptions) => {
	const { bus, directory, warn } = options;
	const flushMs = options.flushMs ?? logFlushMs;
	const logs = new Map<string, TerminalLog>();
	const unsubscribes: Unsubscribe[] = [];
	let timer: NodeJS.Timeout | undefined;
	let writing: Promise<void> = Promise.resolve();

	const pathOf = (id: string) => join(directory, `${id}.log`);

	const closeHandle = async (log: TerminalLog) => {
		const handle = log.handle;
		log.handle = undefined;
		await handle?.then((opened) => opened.close()).catch(() => {});
	};

	const writeOne = async (id: string, log: TerminalLog, data: string) => {
		try {
			log.handle ??= open(pathOf(id), 'a', 0o600);
			await (await log.handle).appendFile(data);
			log.failing = false;
		} catch (error) {
			await closeHandle(log);
			if (!log.failing) {
				log.failing = true;
				warn(`log for terminal ${id} not written: ${oneLine(error)}`);
			}
		}
	};

	const flush = (): Promise<void> => {
		timer = undefined;
		const batch: [string, TerminalLog, string][] = [];
		for (const [id, log] of logs) {
			if (log.chunks.length === 0) continue;
			batch.push([id, log, log.chunks.join('')]);
			log.chunks = [];
		}
		if (batch.length === 0) return writing;
		// Flushes chain so a terminal's chunks land in order even when one is slow.
		writing = writing.then(async () => {
			await Promise.all(batch.map(([id, log, data]) => writeOne(id, log, data)));
		});
		return writing;
	};

	/** Writes what is pending for a terminal that is gone, then closes its file. */
	const close = (id: string): Promise<void> => {
		const log = logs.get(id);
		if (!log) return writing;
		const done = flush().then(() => closeHandle(log));
		logs.delete(id);
		return done;
	};

	return {
		start() {
			try {
				mkdirSync(directory, { recursive: true, mode: 0o700 });
			} catch (error) {
				warn(`log folder ${directory} not usable: ${oneLine(error)}`);
			}
			if (unsubscribes.length > 0) return;
			unsubscribes.push(
				bus.on('terminal.*.output', ({ terminalId, data }) => {
					const log = logs.get(terminalId);
					if (log) log.chunks.push(data);
					else logs.set(terminalId, { chunks: [data], handle: undefined, failing: false });
					timer ??= setTimeout(flush, flushMs);
				}),
				bus.on('terminal.*.exited', ({ terminalId }) => void close(terminalId)),
			);
		},
		pathOf,
		/** Writes what is pending now. */
		flush,
		async stop() {
			for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
			if (timer) clearTimeout(timer);
			await flush();
			await Promise.all([...logs.values()].map(closeHandle));
			logs.clear();
		},
	};
};

export type LogWriter = ReturnType<typeof createLogWriter>;
