import { StringDecoder } from 'node:string_decoder';
import { fitsUtf8 } from './utf8-size.js';

/**
 * The newest bytes of a stream in one fixed buffer, written in place. It replaces keeping the
 * chunks themselves: with 200 terminals, chunks held for the second or two they stay among the
 * newest outlive the young generation, and the garbage they leave in the old one was most of the
 * engine's memory and GC time. The buffer is allocated at the first write.
 */
export type ByteRing = {
	/** Bytes held, at most the capacity. */
	readonly length: number;
	/** Adds text (as UTF-8) or bytes; the oldest bytes give way. */
	write(data: string | Buffer): void;
	/** The newest `limit` bytes at most, as a fresh Buffer. */
	bytes(limit?: number): Buffer;
	/**
	 * The newest `limit` bytes at most, as text; a character whose start was cut off is dropped
	 * rather than read as U+FFFD.
	 */
	text(limit?: number): string;
	/** The oldest `limit` bytes at most, as text (a character cut at the end is dropped). */
	oldestText(limit: number): string;
	/** Empties the ring, or starts it again from `text`. */
	reset(text?: string): void;
};

/** UTF-8 continuation bytes are 0b10xxxxxx. */
const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

export const createByteRing = (capacity: number): ByteRing => {
	let buffer: Buffer | undefined;
	/** Index of the oldest byte. */
	let start = 0;
	let length = 0;

	/** Copies `source` in after the newest byte; `source` fits the capacity. */
	const put = (ring: Buffer, source: Buffer) => {
		const end = (start + length) % capacity;
		const first = Math.min(source.length, capacity - end);
		source.copy(ring, end, 0, first);
		if (first < source.length) source.copy(ring, 0, first);
		advance(source.length);
	};
	const advance = (written: number) => {
		const overflow = Math.max(0, length + written - capacity);
		start = (start + overflow) % capacity;
		length = Math.min(capacity, length + written);
	};

	/** Bytes [from, to) counted from the oldest, in order, as one or two views of the ring. */
	const views = (from: number, to: number): Buffer[] => {
		if (!buffer || to <= from) return [];
		const a = (start + from) % capacity;
		const b = a + (to - from);
		return b <= capacity ? [buffer.subarray(a, b)] : [buffer.subarray(a), buffer.subarray(0, b - capacity)];
	};
	const byteAt = (index: number) => (buffer ? buffer[(start + index) % capacity] : undefined);
	/** One decoder across the wrap, which may fall inside a character. */
	const decode = ([first, second]: Buffer[]) => {
		if (!first) return '';
		if (!second) return first.toString('utf8');
		const decoder = new StringDecoder('utf8');
		return decoder.write(first) + decoder.end(second);
	};

	return {
		get length() {
			return length;
		},
		write(data) {
			if (data.length === 0) return;
			buffer ??= Buffer.allocUnsafe(capacity);
			if (typeof data === 'string') {
				const end = (start + length) % capacity;
				// The common case: the text fits before the end of the buffer and is encoded in place.
				if (fitsUtf8(data, capacity - end)) {
					advance(buffer.write(data, end, 'utf8'));
					return;
				}
				data = Buffer.from(data);
			}
			put(buffer, data.length > capacity ? data.subarray(data.length - capacity) : data);
		},
		bytes(limit = capacity) {
			return Buffer.concat(views(Math.max(0, length - limit), length));
		},
		text(limit = capacity) {
			let from = Math.max(0, length - limit);
			while (from < length && isContinuation(byteAt(from))) from++;
			return decode(views(from, length));
		},
		oldestText(limit) {
			let to = Math.min(length, limit);
			// A cut inside a character moves back to its start.
			while (to > 0 && to < length && isContinuation(byteAt(to))) to--;
			return decode(views(0, to));
		},
		reset(text = '') {
			start = 0;
			length = 0;
			if (text) this.write(text);
		},
	};
};
