import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../../errors.js';
import type { EventBus, Unsubscribe } from '../bus.js';
import { type ByteBuilder, createByteBuilder } from '../byte-builder.js';

/** How often logs are written: a second of output per terminal at most waits in memory. */
export const logFlushMs = 1000;
/** Output waiting to be written beyond this (all terminals together) is written at once. */
export const heldLimit = 8 * 1024 * 1024;

export type LogWriterOptions = {
	bus: EventBus;
	directory: string;
	/**
	 * Called when logs start failing: once per kind of failure (a full disk is one call however
	 * many terminals write), never per chunk; again only after writes have succeeded meanwhile.
	 */
	warn: (message: string) => void;
	flushMs?: number;
};

/** A flush's worth: the output, and the timing lines for `{id}.log.times` (one per chunk or input). */
type Pending = { output: ByteBuilder; times: ByteBuilder };

type TerminalLog = {
	/** Gathered until the next flush. */
	pending: Pending;
	/** The pair last written, emptied: the next flush's, so that a flush allocates nothing. */
	spare: Pending | undefined;
	handles: Promise<[FileHandle, FileHandle]> | undefined;
	/** The error code of the failure streak this log is in (ENOSPC…), if it is failing. */
	failing: string | undefined;
};

const createPending = (): Pending => ({ output: createByteBuilder(), times: createByteBuilder() });

/** `{id}.log.times`: `o <epoch ms> <bytes>` for each output chunk, `i <epoch ms> 0` for each input. */
export const timesSuffix = '.times';

/**
 * Appends each terminal's raw output to `{directory}/{id}.log`, and beside it the timing that
 * `cao-tui replay` needs (when each chunk came, when input was sent). Chunks are gathered in
 * memory and written by one timer through file handles kept open per terminal (opening and
 * closing files at every flush cost a third of the engine's CPU with 200 terminals), so the
 * output path never waits on the disk. A failed write (ENOSPC, EIO…) is reported once for all the
 * terminals failing the same way; that flush's data is dropped rather than piling up, the files
 * are opened afresh next time, and logging resumes by itself once writes succeed.
 */
export const createLogWriter = (options: LogWriterOptions) => {
	const { bus, directory, warn } = options;
	const flushMs = options.flushMs ?? logFlushMs;
	const logs = new Map<string, TerminalLog>();
	const unsubscribes: Unsubscribe[] = [];
	let timer: NodeJS.Timeout | undefined;
	/** Output bytes waiting for the next flush, all terminals together. */
	let held = 0;
	let writing: Promise<void> = Promise.resolve();

	const pathOf = (id: string) => join(directory, `${id}.log`);

	const logOf = (id: string): TerminalLog => {
		let log = logs.get(id);
		if (!log) {
			log = {
				pending: createPending(),
				spare: undefined,
				handles: undefined,
				failing: undefined,
			};
			logs.set(id, log);
		}
		timer ??= setTimeout(flush, flushMs);
		return log;
	};

	const closeHandles = async (log: TerminalLog) => {
		const handles = log.handles;
		log.handles = undefined;
		await handles?.then((opened) => Promise.all(opened.map((handle) => handle.close()))).catch(() => {});
	};

	/** Both files, or neither: one that opened is closed when the other did not. */
	const openBoth = async (id: string): Promise<[FileHandle, FileHandle]> => {
		const [output, timing] = await Promise.allSettled([
			open(pathOf(id), 'a', 0o600),
			open(`${pathOf(id)}${timesSuffix}`, 'a', 0o600),
		]);
		if (output.status === 'fulfilled' && timing.status === 'fulfilled') return [output.value, timing.value];
		for (const opened of [output, timing])
			if (opened.status === 'fulfilled') await opened.value.close().catch(() => {});
		throw output.status === 'rejected' ? output.reason : (timing as PromiseRejectedResult).reason;
	};

	const writeOne = async (id: string, log: TerminalLog, pending: Pending) => {
		try {
			log.handles ??= openBoth(id);
			const [output, timing] = await log.handles;
			await output.appendFile(pending.output.view());
			await timing.appendFile(pending.times.view());
			log.failing = undefined;
		} catch (error) {
			await closeHandles(log);
			if (log.failing) return;
			const code = (error as NodeJS.ErrnoException).code ?? 'error';
			// A full disk fails every terminal's log: the first one says it for all of them.
			const known = [...logs.values()].some((other) => other.failing === code);
			log.failing = code;
			if (!known)
				warn(`log for terminal ${id} not written: ${oneLine(error)} (logging resumes when writes succeed)`);
		} finally {
			pending.output.clear();
			pending.times.clear();
			log.spare = pending;
		}
	};

	const flush = (): Promise<void> => {
		clearTimeout(timer);
		timer = undefined;
		held = 0;
		const batch: [string, TerminalLog, Pending][] = [];
		for (const [id, log] of logs) {
			if (log.pending.times.length === 0) continue;
			batch.push([id, log, log.pending]);
			log.pending = log.spare ?? createPending();
			log.spare = undefined;
		}
		if (batch.length === 0) return writing;
		// Flushes chain so a terminal's chunks land in order even when one is slow.
		writing = writing.then(async () => {
			await Promise.all(batch.map(([id, log, pending]) => writeOne(id, log, pending)));
		});
		return writing;
	};

	/** Writes what is pending for a terminal that is gone, then closes its files. */
	const close = (id: string): Promise<void> => {
		const log = logs.get(id);
		if (!log) return writing;
		const done = flush().then(() => closeHandles(log));
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
				bus.on('terminal.*.output', ({ terminalId, bytes: raw, at }) => {
					const { pending } = logOf(terminalId);
					const bytes = pending.output.append(raw);
					pending.times.append(`o ${at} ${bytes}\n`);
					// A burst (an agent dumping a file) is written at once rather than held a second.
					held += bytes;
					if (held > heldLimit) void flush();
				}),
				bus.on('terminal.*.input', ({ terminalId, at }) => {
					logOf(terminalId).pending.times.append(`i ${at} 0\n`);
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
			await Promise.all([...logs.values()].map(closeHandles));
			logs.clear();
		},
	};
};

export type LogWriter = ReturnType<typeof createLogWriter>;
