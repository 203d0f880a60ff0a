import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

import { coalesceMs, createOutputCoalescer, maxEventBytes } from '../output-coalescer.js';

export { coalesceMs, maxEventBytes };

export type FifoReader = {
	readonly path: string;
	/** Bytes received so far. */
	readonly bytes: number;
	/** Delivers what was read but not yet delivered, then closes both ends and unlinks the FIFO. */
	stop(): void;
};

export type FifoReaderOptions = {
	path: string;
	/** Receives coalesced text: at most `maxEventBytes` bytes, never half a UTF-8 character. */
	onData: (text: string) => void;
	onError?: (error: Error) => void;
	coalesceMs?: number;
};

export const makeFifo = async (path: string): Promise<void> => {
	// Node has no mkfifo(3); the coreutils program is the portable way, and it runs once per terminal.
	await run('mkfifo', ['-m', '600', path]);
};

/**
 * Reads a named FIFO as a pipe handle: the read side is opened O_NONBLOCK and handed to libuv as a
 * stream, so it is polled by the event loop and never occupies a thread-pool thread (blocking
 * `fs.read` calls on four FIFOs would starve every other fs call, the database and DNS). A
 * write-side fd stays open so the reader never sees EOF when one writer (tmux's pipe-pane) goes
 * and another comes.
 */
export const openFifoReader = (options: FifoReaderOptions): FifoReader => {
	const { path, onData } = options;
	const window = options.coalesceMs ?? coalesceMs;
	const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
	let keepAliveFd: number | undefined;
	try {
		keepAliveFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
	} catch (error) {
		closeSync(readFd);
		throw error;
	}
	const socket = new Socket({ fd: readFd, readable: true, writable: false });
	const coalescer = createOutputCoalescer(onData, window);
	let received = 0;
	let stopped = false;

	socket.on('data', (chunk: Buffer) => {
		received += chunk.length;
		coalescer.push(chunk);
	});
	socket.on('error', (error) => options.onError?.(error));

	return {
		path,
		get bytes() {
			return received;
		},
		stop() {
			if (stopped) return;
			stopped = true;
			coalescer.end();
			socket.destroy();
			if (keepAliveFd !== undefined) closeSync(keepAliveFd);
			try {
				unlinkSync(path);
			} catch {
				// Already gone: nothing to clean.
			}
		},
	};
};
