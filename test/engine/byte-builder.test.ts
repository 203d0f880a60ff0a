import { describe, expect, it } from 'vitest';
import { createByteBuilder } from '../../source/engine/byte-builder.js';

describe('byte builder', () => {
	it('gathers text as UTF-8 and bytes, growing as needed', () => {
		const builder = createByteBuilder();
		expect(builder.view()).toHaveLength(0);
		expect(builder.append('⠋ working ')).toBe(12);
		expect(builder.append(Buffer.from([0xff, 0x20]))).toBe(2);
		const long = 'x'.repeat(10_000);
		builder.append(long);
		expect(builder.length).toBe(10_014);
		expect(builder.view()).toEqual(
			Buffer.concat([Buffer.from('⠋ working '), Buffer.from([0xff, 0x20]), Buffer.from(long)]),
		);
		builder.clear();
		expect(builder.length).toBe(0);
		expect(builder.view()).toHaveLength(0);
	});

	it('reuses its memory after a clear, and gives back what a burst made it grow to', () => {
		const builder = createByteBuilder();
		builder.append('first');
		const first = builder.view();
		builder.clear();
		builder.append('again');
		// The same memory: a view is only good until the next append or clear.
		expect(first.toString()).toBe('again');
		builder.clear();
		builder.append('x'.repeat(300_000));
		const burst = builder.view();
		builder.clear();
		builder.append('third');
		expect(burst.subarray(0, 5).toString()).toBe('xxxxx');
		expect(builder.view().toString()).toBe('third');
	});
});
