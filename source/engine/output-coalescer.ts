import { StringDecoder } from 'node:string_decoder';
import { createByteBuilder } from './byte-builder.js';

export const coalesceMs = 50;
export const maxEventBytes = 64 * 1024;

/**
 * Receives a terminal's output: `text` decoded as whole UTF-8 characters, and `bytes`, the raw
 * bytes it came from. All the `bytes` in order are the raw stream, all the texts the decoded one
 * (a character cut between two windows is in the text of the second, its bytes split across both).
 * `bytes` is a view of the coalescer's own buffer, good only until the handler returns: a handler
 * that keeps the bytes copies them.
 */
export type OutputHandler = (text: string, bytes: Buffer) => void;

/**
 * Bytes from a terminal as text events: coalesced for `windowMs` (one event per burst), at most
 * `maxEventBytes` each, never half a UTF-8 character. Shared by the FIFO reader (tmux) and the
 * pty backend, so the engine sees the same events from both. Chunks are copied into one reused
 * buffer as they come, so `push` may be given a view of a read buffer that is reused too.
 */
export const createOutputCoalescer = (onOutput: OutputHandler, windowMs = coalesceMs) => {
	const decoder = new StringDecoder('utf8');
	const pending = createByteBuilder();
	let timer: NodeJS.Timeout | undefined;
	/** Bytes that made no whole character yet: they go with the next event. */
	let carried: Buffer | undefined;

	const emit = (buffer: Buffer) => {
		const text = decoder.write(buffer);
		const bytes = carried ? Buffer.concat([carried, buffer]) : buffer;
		carried = text ? undefined : Buffer.from(bytes);
		if (text) onOutput(text, bytes);
	};
	const flush = () => {
		if (timer) clearTimeout(timer);
		timer = undefined;
		if (pending.length === 0) return;
		// Cleared first (the view's memory stays as it is until the next push): a handler that
		// throws must not have the same bytes delivered again.
		const whole = pending.view();
		pending.clear();
		for (let offset = 0; offset < whole.length; offset += maxEventBytes) {
			emit(whole.subarray(offset, offset + maxEventBytes));
		}
	};

	return {
		push(chunk: Buffer) {
			pending.append(chunk);
			if (pending.length >= maxEventBytes) flush();
			else timer ??= setTimeout(flush, windowMs);
		},
		/** Delivers everything held, the decoder's tail included. */
		end() {
			flush();
			const tail = decoder.end();
			if (tail) onOutput(tail, carried ?? Buffer.alloc(0));
		},
	};
};
