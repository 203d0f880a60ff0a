import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

import { coalesceMs, createOutputCoalescer, maxEventBytes, type OutputHandler } from '../output-coalescer.js';

export { coalesceMs, maxEventBytes };

export type FifoReader = {
	readonly path: string;
	/** Bytes received so far. */
	readonly bytes: number;
	/** When the newest bytes came (ms since the epoch); when the reader opened, before any. */
	readonly lastReadAt: number;
	/** Delivers what was read but not yet delivered, then closes both ends and unlinks the FIFO. */
	stop(): void;
};

export type FifoReaderOptions = {
	path: string;
	/** Receives coalesced text (at most `maxEventBytes` bytes, never half a UTF-8 character) and its bytes. */
	onData: OutputHandler;
	onError?: (error: Error) => void;
	/**
	 * The writer went away after writing (tmux's pipe-pane closed). With this set, the reader
	 * holds its own write side only until the first byte, so that the writer's end shows as EOF;
	 * it then opens the FIFO again, ready for a new writer, and calls this.
	 */
	onWriterGone?: () => void;
	coalesceMs?: number;
};

/**
 * Every reader reads into this one buffer, and its coalescer copies what came into its own at
 * once (a read is handled synchronously): Node's stream machinery, and a buffer allocated per
 * read, cost more than the read itself with hundreds of terminals writing 50 times a second.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

export const makeFifo = async (path: string): Promise<void> => {
	// Node has no mkfifo(3); the coreutils program is the portable way, and it runs once per terminal.
	await run('mkfifo', ['-m', '600', path]);
};

/**
 * Reads a named FIFO as a pipe handle: the read side is opened O_NONBLOCK and handed to libuv as a
 * stream, so it is polled by the event loop and never occupies a thread-pool thread (blocking
 * `fs.read` calls on four FIFOs would starve every other fs call, the database and DNS). A
 * write-side fd is held open so that the reader does not see EOF before a writer (tmux's
 * pipe-pane) has come, or, without `onWriterGone`, ever.
 */
export const openFifoReader = (options: FifoReaderOptions): FifoReader => {
	const { path, onWriterGone } = options;
	const window = options.coalesceMs ?? coalesceMs;
	const coalescer = createOutputCoalescer(options.onData, window);
	let received = 0;
	let lastReadAt = Date.now();
	let stopped = false;
	let keepAliveFd: number | undefined;
	let socket: Socket;

	const dropKeepAlive = () => {
		if (keepAliveFd !== undefined) closeSync(keepAliveFd);
		keepAliveFd = undefined;
	};

	const open = () => {
		const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
		try {
			keepAliveFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
		} catch (error) {
			closeSync(readFd);
			throw error;
		}
		// Node takes `onread` in the constructor too; its typings list it for connect() only.
		const socketOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
			fd: readFd,
			readable: true,
			writable: false,
			onread: {
				buffer: readBuffer,
				callback: (size) => {
					received += size;
					lastReadAt = Date.now();
					coalescer.push(readBuffer.subarray(0, size));
					// A byte came, so a writer is there: from now on its end is our EOF.
					if (onWriterGone) dropKeepAlive();
					return true;
				},
			},
		};
		socket = new Socket(socketOptions);
		socket.on('end', () => {
			if (stopped || !onWriterGone) return;
			socket.destroy();
			try {
				open();
			} catch (error) {
				options.onError?.(error as Error);
				return;
			}
			onWriterGone();
		});
		socket.on('error', (error) => options.onError?.(error));
	};
	open();

	return {
		path,
		get bytes() {
			return received;
		},
		get lastReadAt() {
			return lastReadAt;
		},
		stop() {
			if (stopped) return;
			stopped = true;
			coalescer.end();
			socket.destroy();
			dropKeepAlive();
			try {
				unlinkSync(path);
			} catch {
				// Already gone: nothing to clean.
			}
		},
	};
};
