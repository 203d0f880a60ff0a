import { describe, expect, it } from 'vitest';
import { createByteBuilder } from '../../../source/engine/logs/byte-builder.js';

describe('byte builder', () => {
	it('gathers text as UTF-8 until taken, growing as needed', () => {
		const builder = createByteBuilder();
		expect(builder.append('⠋ working ')).toBe(12);
		const long = 'x'.repeat(10_000);
		builder.append(long);
		expect(builder.length).toBe(10_012);
		const taken = builder.take();
		expect(taken.toString()).toBe(`⠋ working ${long}`);
		expect(builder.length).toBe(0);
		expect(builder.take()).toHaveLength(0);
	});

	it('hands out buffers of their own: what was taken stays as it was while the builder goes on', () => {
		const builder = createByteBuilder();
		builder.append('first');
		const first = builder.take();
		builder.append('other');
		builder.append('x'.repeat(300_000));
		const second = builder.take();
		builder.append('third');
		expect(first.toString()).toBe('first');
		expect(second.subarray(0, 5).toString()).toBe('other');
		expect(builder.take().toString()).toBe('third');
	});
});
