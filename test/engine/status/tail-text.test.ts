import { describe, expect, it } from 'vitest';
import { createTailText } from '../../../source/engine/status/tail-text.js';

describe('tail text', () => {
	it('reads the newest characters up to the limit, whatever the chunks', () => {
		const tail = createTailText();
		for (const chunk of ['abc', 'defg', 'h', 'ijklmn']) tail.append(chunk, 8);
		expect(tail.read(8)).toBe('ghijklmn');
		expect(tail.read(3)).toBe('lmn');
		tail.append('op', 8);
		// Cut to 3 by the last read: what was dropped is gone.
		expect(tail.read(8)).toBe('lmnop');
	});

	it('drops only chunks wholly older than the limit, so a read never lacks characters', () => {
		const tail = createTailText();
		tail.append('x'.repeat(5), 6);
		tail.append('y'.repeat(5), 6);
		expect(tail.length).toBe(10);
		expect(tail.read(6)).toBe('xyyyyy');
		for (let index = 0; index < 100; index++) tail.append('z', 6);
		expect(tail.length).toBeLessThanOrEqual(7);
		expect(tail.read(6)).toBe('zzzzzz');
	});

	it('starts again from a text, or empty', () => {
		const tail = createTailText();
		tail.append('old', 10);
		tail.reset('screen');
		expect(tail.read(10)).toBe('screen');
		tail.reset();
		expect(tail.length).toBe(0);
		expect(tail.read(10)).toBe('');
	});
});
