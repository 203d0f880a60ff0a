/**
 * The newest text of a stream, kept as the chunks that came. Appending costs nothing but the
 * chunk; the chunks are joined, and cut to the limit, only when the text is read. Detection reads
 * a terminal's buffer a few times a second, while output comes in 20 chunks a second: joining a
 * 32K-character buffer at every chunk made most of the engine's garbage.
 */
export type TailText = {
	readonly length: number;
	/** Adds `text`, dropping the oldest chunks that lie wholly beyond the newest `limit` characters. */
	append(text: string, limit: number): void;
	/** The newest `limit` characters at most. */
	read(limit: number): string;
	/** Starts again from `text`. */
	reset(text?: string): void;
};

export const createTailText = (): TailText => {
	let chunks: string[] = [];
	let length = 0;
	return {
		get length() {
			return length;
		},
		append(text, limit) {
			if (!text) return;
			chunks.push(text);
			length += text.length;
			while (chunks.length > 1 && length - (chunks[0] as string).length >= limit)
				length -= (chunks.shift() as string).length;
		},
		read(limit) {
			if (chunks.length > 1 || length > limit) {
				let joined = chunks.join('');
				if (joined.length > limit) joined = joined.slice(-limit);
				chunks = [joined];
				length = joined.length;
			}
			return chunks[0] ?? '';
		},
		reset(text = '') {
			chunks = text ? [text] : [];
			length = text.length;
		},
	};
};
