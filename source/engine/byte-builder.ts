import { fitsUtf8 } from './utf8-size.js';

/** Room kept between uses; a builder that grew past it (a burst) gives the memory back. */
const keptCapacity = 256 * 1024;
const initialCapacity = 4 * 1024;

/**
 * Bytes (or text, as UTF-8) gathered in one buffer that is reused. Output passes through the
 * engine at megabytes a second: a fresh Buffer per chunk is external memory, which V8 counts
 * toward the old generation's limit; at N=200 it caused half of the full collections.
 */
export type ByteBuilder = {
	/** Bytes gathered. */
	readonly length: number;
	/** Adds text (as UTF-8) or bytes; returns how many bytes that was. */
	append(data: string | Buffer): number;
	/** What was gathered: a view of the builder's own memory, valid until the next append or clear. */
	view(): Buffer;
	/** Starts again empty. */
	clear(): void;
};

export const createByteBuilder = (): ByteBuilder => {
	let buffer: Buffer | undefined;
	let used = 0;
	return {
		get length() {
			return used;
		},
		append(data) {
			const room = buffer ? buffer.length - used : 0;
			if (!buffer || !(typeof data === 'string' ? fitsUtf8(data, room) : data.length <= room)) {
				const needed = used + Buffer.byteLength(data);
				let capacity = buffer?.length ?? initialCapacity;
				while (capacity < needed) capacity *= 2;
				if (capacity !== buffer?.length) {
					const grown = Buffer.allocUnsafe(capacity);
					buffer?.copy(grown, 0, 0, used);
					buffer = grown;
				}
			}
			const size = typeof data === 'string' ? buffer.write(data, used, 'utf8') : data.copy(buffer, used);
			used += size;
			return size;
		},
		view() {
			return buffer ? buffer.subarray(0, used) : Buffer.alloc(0);
		},
		clear() {
			used = 0;
			if (buffer && buffer.length > keptCapacity) buffer = undefined;
		},
	};
};
