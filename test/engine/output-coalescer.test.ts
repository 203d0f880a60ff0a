import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesceMs, createOutputCoalescer, maxEventBytes } from '../../source/engine/output-coalescer.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const record = () => {
	const events: { text: string; bytes: Buffer }[] = [];
	// `bytes` is the coalescer's own buffer, good only during the call: kept, it is copied.
	const coalescer = createOutputCoalescer((text, bytes) => events.push({ text, bytes: Buffer.from(bytes) }));
	return { events, coalescer };
};

describe('output coalescer', () => {
	it('makes one event of a burst, with its text and its bytes', () => {
		const { events, coalescer } = record();
		coalescer.push(Buffer.from('one '));
		coalescer.push(Buffer.from('two'));
		expect(events).toEqual([]);
		vi.advanceTimersByTime(coalesceMs);
		expect(events).toEqual([{ text: 'one two', bytes: Buffer.from('one two') }]);
	});

	it('copies each chunk as it comes: the caller may reuse its read buffer at once', () => {
		const { events, coalescer } = record();
		const readBuffer = Buffer.from('first ');
		coalescer.push(readBuffer);
		readBuffer.write('later ');
		coalescer.push(readBuffer.subarray(0, 5));
		vi.advanceTimersByTime(coalesceMs);
		coalescer.push(Buffer.from('next'));
		vi.advanceTimersByTime(coalesceMs);
		expect(events).toEqual([
			{ text: 'first later', bytes: Buffer.from('first later') },
			{ text: 'next', bytes: Buffer.from('next') },
		]);
	});

	it('keeps bytes that make no character yet for the event that completes one', () => {
		const { events, coalescer } = record();
		const euro = Buffer.from('€');
		coalescer.push(euro.subarray(0, 1));
		vi.advanceTimersByTime(coalesceMs);
		expect(events).toEqual([]);
		coalescer.push(Buffer.concat([euro.subarray(1), Buffer.from('!')]));
		vi.advanceTimersByTime(coalesceMs);
		expect(events).toEqual([{ text: '€!', bytes: Buffer.from('€!') }]);
	});

	it('cuts a flood into events of at most 64 KB whose bytes add up to the stream', () => {
		const { events, coalescer } = record();
		const stream = Buffer.from('é'.repeat(100_000));
		coalescer.push(stream);
		coalescer.end();
		expect(events.length).toBeGreaterThan(1);
		for (const { bytes } of events) expect(bytes.length).toBeLessThanOrEqual(maxEventBytes + 1);
		expect(Buffer.concat(events.map(({ bytes }) => bytes)).equals(stream)).toBe(true);
		expect(events.map(({ text }) => text).join('')).toBe('é'.repeat(100_000));
	});

	it('gives a character cut off at the end as U+FFFD when it ends, with its bytes', () => {
		const { events, coalescer } = record();
		coalescer.push(Buffer.from('€').subarray(0, 2));
		coalescer.end();
		expect(events).toEqual([{ text: '\uFFFD', bytes: Buffer.from('€').subarray(0, 2) }]);
	});
});
