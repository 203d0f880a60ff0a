import { describe, expect, it } from 'vitest';
import { fitsUtf8 } from '../../source/engine/utf8-size.js';

describe('fitsUtf8', () => {
	it.each([
		['abc', 3, true],
		['abc', 2, false],
		['é', 2, true],
		['é', 1, false],
		['⠋ab', 5, true],
		['⠋ab', 4, false],
		['🙂', 4, true],
		['🙂', 3, false],
		['', 0, true],
	])('%j in %i bytes: %s', (text, room, fits) => {
		expect(fitsUtf8(text, room)).toBe(fits);
		expect(Buffer.byteLength(text) <= room).toBe(fits);
	});
});
