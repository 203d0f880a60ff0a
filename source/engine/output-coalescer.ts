import { StringDecoder } from 'node:string_decoder';

export const coalesceMs = 50;
export const maxEventBytes = 64 * 1024;

/**
 * Bytes from a terminal as text events: coalesced for `windowMs` (one event per burst), at most
 * `maxEventBytes` each, never half a UTF-8 character. Shared by the FIFO reader (tmux) and the
 * pty backend, so the engine sees the same events from both.
 */
export const createOutputCoalescer = (onText: (text: string) => void, windowMs = coalesceMs) => {
	const decoder = new StringDecoder('utf8');
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	let timer: NodeJS.Timeout | undefined;

	const emit = (buffer: Buffer) => {
		const text = decoder.write(buffer);
		if (text) onText(text);
	};
	const flush = () => {
		if (timer) clearTimeout(timer);
		timer = undefined;
		if (pendingBytes === 0) return;
		const whole = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
		pending = [];
		pendingBytes = 0;
		for (let offset = 0; offset < whole.length; offset += maxEventBytes) {
			emit(whole.subarray(offset, offset + maxEventBytes));
		}
	};

	return {
		push(chunk: Buffer) {
			pending.push(chunk);
			pendingBytes += chunk.length;
			if (pendingBytes >= maxEventBytes) flush();
			else timer ??= setTimeout(flush, windowMs);
		},
		/** Delivers everything held, the decoder's tail included. */
		end() {
			flush();
			const tail = decoder.end();
			if (tail) onText(tail);
		},
	};
};
