import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	type FifoReader,
	makeFifo,
	maxEventBytes,
	openFifoReader,
} from '../../../source/engine/fifo/fifo-reader.js';
import { waitFor } from '../../helpers/wait-for.js';

let dir: string;
const readers: FifoReader[] = [];

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'cao-fifo-'));
});
afterEach(() => {
	for (const reader of readers.splice(0)) reader.stop();
	rmSync(dir, { recursive: true, force: true });
});

const open = async (name: string) => {
	const path = join(dir, name);
	await makeFifo(path);
	const events: string[] = [];
	const raw: Buffer[] = [];
	const reader = openFifoReader({
		path,
		onData: (text, bytes) => {
			events.push(text);
			raw.push(Buffer.from(bytes)); // a view of the reader's buffer: kept, it is copied
		},
	});
	readers.push(reader);
	const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
	return { path, events, raw, reader, writer, text: () => events.join('') };
};

describe('FifoReader', () => {
	it('delivers a multi-byte character split across two writes whole, with the raw bytes', async () => {
		const fifo = await open('split');
		const euro = Buffer.from('€'); // three bytes
		writeSync(fifo.writer, Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]));
		await waitFor(() => fifo.text() === 'a', { what: 'the first half' });
		// An event whose bytes end inside a character: its text has what came before.
		expect(fifo.raw).toEqual([Buffer.from([0x61, 0xe2, 0x82])]);
		writeSync(fifo.writer, Buffer.concat([euro.subarray(2), Buffer.from('b')]));
		await waitFor(() => fifo.text() === 'a€b', { what: 'the whole character' });
		expect(fifo.events.join('')).not.toContain('\uFFFD');
		expect(fifo.events.length).toBeGreaterThanOrEqual(2);
		expect(Buffer.concat(fifo.raw).toString()).toBe('a€b');
		closeSync(fifo.writer);
	});

	it('coalesces quick writes into one event', async () => {
		const fifo = await open('coalesce');
		for (let index = 0; index < 20; index++) writeSync(fifo.writer, `chunk${index};`);
		await waitFor(() => fifo.text().endsWith('chunk19;'));
		expect(fifo.events.length).toBeLessThanOrEqual(2);
		closeSync(fifo.writer);
	});

	it('caps an event at 64 KB and loses nothing', async () => {
		const fifo = await open('big');
		const total = 300 * 1024;
		const payload = 'x'.repeat(total);
		let written = 0;
		// The pipe holds 64 KB: write what fits, then wait for the reader to drain it.
		while (written < total) {
			try {
				written += writeSync(fifo.writer, payload.slice(written, written + 16 * 1024));
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
				await new Promise((resolve) => setImmediate(resolve));
			}
		}
		await waitFor(() => fifo.text().length === total, { what: 'all bytes' });
		for (const event of fifo.events) expect(Buffer.byteLength(event)).toBeLessThanOrEqual(maxEventBytes);
		closeSync(fifo.writer);
	});

	it('sees no end of file when one writer leaves and another comes', async () => {
		const fifo = await open('writers');
		closeSync(fifo.writer);
		for (const word of ['one ', 'two ', 'three']) {
			const writer = openSync(fifo.path, constants.O_WRONLY | constants.O_NONBLOCK);
			writeSync(writer, word);
			closeSync(writer);
			await waitFor(() => fifo.text().endsWith(word), { what: word });
		}
		expect(fifo.text()).toBe('one two three');
	});

	it('with onWriterGone, tells when the writer leaves after writing, and reads the next one', async () => {
		const path = join(dir, 'gone');
		await makeFifo(path);
		const events: string[] = [];
		let gone = 0;
		readers.push(
			openFifoReader({
				path,
				onData: (text) => events.push(text),
				onWriterGone: () => {
					gone += 1;
				},
			}),
		);
		for (const word of ['one ', 'two']) {
			const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
			writeSync(writer, word);
			await waitFor(() => events.join('').endsWith(word), { what: word });
			expect(gone).toBe(Number(word === 'two'));
			closeSync(writer);
			await waitFor(() => gone === (word === 'one ' ? 1 : 2), { what: 'the writer to be seen going' });
		}
		expect(events.join('')).toBe('one two');
	});

	it('stop() delivers what is pending, closes and unlinks the FIFO', async () => {
		const fifo = await open('stop');
		writeSync(fifo.writer, 'last words');
		await waitFor(() => fifo.reader.bytes === 10, { what: 'the bytes to be read' });
		fifo.reader.stop();
		expect(fifo.text()).toBe('last words');
		expect(existsSync(fifo.path)).toBe(false);
		closeSync(fifo.writer);
	});

	it('keeps 20 FIFOs written at once all publishing, none starving another', async () => {
		const fifos = await Promise.all(Array.from({ length: 20 }, (_, index) => open(`many-${index}`)));
		const rounds = 100;
		const line = `${'y'.repeat(200)}\n`;
		for (let round = 0; round < rounds; round++) {
			for (const fifo of fifos) writeSync(fifo.writer, line);
			// Let the readers run between rounds, as concurrent writers would.
			await new Promise((resolve) => setImmediate(resolve));
		}
		await waitFor(() => fifos.every((fifo) => fifo.text().length === rounds * line.length), {
			what: 'every FIFO to deliver every byte',
		});
		for (const fifo of fifos) {
			expect(fifo.events.length).toBeGreaterThan(0);
			closeSync(fifo.writer);
		}
	});

	it('does not hold thread-pool threads while FIFOs are silent', async () => {
		// libuv has four pool threads: blocking FIFO reads on eight would freeze every fs call.
		await Promise.all(Array.from({ length: 8 }, (_, index) => open(`idle-${index}`)));
		const file = join(dir, 'plain.txt');
		await writeFile(file, 'still works');
		expect(await readFile(file, 'utf8')).toBe('still works');
	});
});
