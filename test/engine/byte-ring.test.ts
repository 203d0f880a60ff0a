import { describe, expect, it } from 'vitest';
import { createByteRing } from '../../source/engine/byte-ring.js';
import { randomFrom } from '../helpers/seeded-random.js';

describe('byte ring', () => {
	it('keeps the newest bytes of what was written, across the wrap', () => {
		const ring = createByteRing(8);
		for (const chunk of ['abc', 'defg', 'h', 'ijklmn']) ring.write(chunk);
		expect(ring.length).toBe(8);
		expect(ring.text()).toBe('ghijklmn');
		expect(ring.text(3)).toBe('lmn');
		ring.write(Buffer.from('op'));
		expect(ring.bytes().toString()).toBe('ijklmnop');
		expect(ring.bytes(2).toString()).toBe('op');
	});

	it('keeps the end of a write longer than itself', () => {
		const ring = createByteRing(6);
		ring.write('ab');
		ring.write('0123456789');
		expect(ring.text()).toBe('456789');
		ring.write(Buffer.from('0123456789'));
		expect(ring.text()).toBe('456789');
	});

	it('reads whole characters: a multi-byte character across the wrap, and none cut in half', () => {
		const ring = createByteRing(10);
		ring.write('12345678');
		// "⠋" is three bytes: they land on bytes 8, 9 and 0 of the buffer.
		ring.write('⠋');
		expect(ring.text()).toBe('2345678⠋');
		ring.write('x');
		ring.write('é');
		// "5678⠋xé" is 4 + 3 + 1 + 2 bytes.
		expect(ring.text()).toBe('5678⠋xé');
		// The newest 5 bytes begin inside "⠋": the cut character is dropped, not read as U+FFFD.
		expect(ring.text(5)).toBe('xé');
		expect(ring.oldestText(5)).toBe('5678');
		expect(ring.oldestText(7)).toBe('5678⠋');
	});

	it('starts again from a text, or empty', () => {
		const ring = createByteRing(10);
		ring.write('old text');
		ring.reset('screen');
		expect(ring.text()).toBe('screen');
		ring.reset();
		expect(ring.length).toBe(0);
		expect(ring.text()).toBe('');
		expect(ring.bytes()).toHaveLength(0);
		expect(ring.oldestText(4)).toBe('');
	});

	it('matches a plain string model on random writes', () => {
		const random = randomFrom(7);
		const alphabet = ['a', 'b', ' ', '\n', '⠋', 'é', '●', '🙂'];
		const ring = createByteRing(64);
		let model = Buffer.alloc(0);
		for (let step = 0; step < 2000; step++) {
			const length = Math.floor(random() * 40);
			let text = '';
			for (let index = 0; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)];
			if (random() < 0.5) ring.write(text);
			else ring.write(Buffer.from(text));
			model = Buffer.concat([model, Buffer.from(text)]);
			model = model.subarray(Math.max(0, model.length - 64));
			expect(ring.bytes().equals(model)).toBe(true);
			// Whole characters only: decoding never makes U+FFFD out of a cut.
			expect(ring.text(1 + Math.floor(random() * 64))).not.toContain('\uFFFD');
		}
	});
});
