import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../source/engine/bus.js';
import { createLogWriter } from '../../../source/engine/logs/log-writer.js';
import { waitFor } from '../../helpers/wait-for.js';

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'cao-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const output = (bus: ReturnType<typeof createEventBus>, terminalId: string, data: string) =>
	bus.emit(`terminal.${terminalId}.output`, { terminalId, data, bytes: Buffer.from(data), at: Date.now() });

describe('LogWriter', () => {
	it('appends each terminal’s raw output to its own file, in order', async () => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const writer = createLogWriter({ bus, directory: join(dir, 'logs'), warn: () => {} });
		writer.start();
		output(bus, 'aaaa0001', '\x1b[2Kfirst ');
		output(bus, 'bbbb0002', 'other');
		output(bus, 'aaaa0001', 'second');
		await writer.flush();
		output(bus, 'aaaa0001', ' third');
		await writer.stop();
		expect(readFileSync(writer.pathOf('aaaa0001'), 'utf8')).toBe('\x1b[2Kfirst second third');
		expect(readFileSync(writer.pathOf('bbbb0002'), 'utf8')).toBe('other');
	});

	it('writes a burst at once rather than holding it until the next flush', async () => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const writer = createLogWriter({ bus, directory: join(dir, 'logs'), warn: () => {}, flushMs: 3_600_000 });
		writer.start();
		const megabyte = 'x'.repeat(1024 * 1024);
		for (let index = 0; index < 9; index++) output(bus, 'ffff0006', megabyte);
		// Past the 8 MB held, the writing began without the hour's timer.
		await waitFor(
			() =>
				existsSync(writer.pathOf('ffff0006')) &&
				statSync(writer.pathOf('ffff0006')).size === 9 * megabyte.length,
			{
				what: 'the burst on disk',
			},
		);
		await writer.stop();
	});

	it('closes a terminal’s file when it exits, after writing what was pending', async () => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const writer = createLogWriter({ bus, directory: join(dir, 'logs'), warn: () => {} });
		writer.start();
		output(bus, 'dddd0004', 'before exit');
		bus.emit('terminal.dddd0004.exited', { terminalId: 'dddd0004', reason: 'window closed', at: Date.now() });
		await writer.flush();
		expect(readFileSync(writer.pathOf('dddd0004'), 'utf8')).toBe('before exit');
		// A re-adopted terminal with the same id appends to the same file.
		output(bus, 'dddd0004', ', and after');
		await writer.stop();
		expect(readFileSync(writer.pathOf('dddd0004'), 'utf8')).toBe('before exit, and after');
	});

	it('reports a failing disk once and never stops the pipeline', async () => {
		const warnings: string[] = [];
		const bus = createEventBus((error) => {
			throw error;
		});
		// The log folder is a file: every append fails with ENOTDIR.
		const blocked = join(dir, 'not-a-folder');
		writeFileSync(blocked, '');
		const writer = createLogWriter({ bus, directory: blocked, warn: (message) => warnings.push(message) });
		writer.start();
		const seen: string[] = [];
		bus.on('terminal.*.output', ({ data }) => seen.push(data));
		for (let round = 0; round < 5; round++) {
			output(bus, 'cccc0003', `chunk ${round}`);
			await writer.flush();
		}
		await writer.stop();
		expect(seen).toHaveLength(5);
		const perTerminal = warnings.filter((message) => message.includes('cccc0003'));
		expect(perTerminal).toHaveLength(1);
		expect(perTerminal[0]).toMatch(/^log for terminal cccc0003 not written: ENOTDIR/);
	});

	it('says once that the disk is full, whatever number of terminals write, and resumes by itself', async () => {
		const warnings: string[] = [];
		const bus = createEventBus((error) => {
			throw error;
		});
		const directory = join(dir, 'logs');
		mkdirSync(directory);
		const writer = createLogWriter({ bus, directory, warn: (message) => warnings.push(message) });
		writer.start();
		const ids = ['eeee0001', 'eeee0002', 'eeee0003'];
		// Writes to /dev/full fail with ENOSPC: a full disk, without root or a real full disk.
		for (const id of ids) symlinkSync('/dev/full', writer.pathOf(id));
		for (let round = 0; round < 4; round++) {
			for (const id of ids) output(bus, id, `lost ${round} `);
			await writer.flush();
		}
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(
			/^log for terminal eeee000[123] not written: ENOSPC: no space left on device, write \(logging resumes when writes succeed\)$/,
		);
		// Space again: the links give way to plain files and the next flush writes there.
		for (const id of ids) rmSync(writer.pathOf(id));
		for (const id of ids) output(bus, id, 'kept');
		await writer.flush();
		for (const id of ids) expect(readFileSync(writer.pathOf(id), 'utf8')).toBe('kept');
		// The timing lines of the lost chunks went with them: the times file matches the log.
		expect(readFileSync(`${writer.pathOf('eeee0001')}.times`, 'utf8')).toMatch(/^o \d+ 4\n$/);
		// A new failure after the recovery is a new streak, reported again (the file is opened
		// afresh when the terminal comes back after its exit).
		bus.emit('terminal.eeee0002.exited', { terminalId: 'eeee0002', reason: 'window closed', at: Date.now() });
		await writer.flush();
		rmSync(writer.pathOf('eeee0002'));
		symlinkSync('/dev/full', writer.pathOf('eeee0002'));
		output(bus, 'eeee0002', 'lost again');
		await writer.stop();
		expect(warnings).toHaveLength(2);
		expect(warnings[1]).toMatch(/^log for terminal eeee0002 not written: ENOSPC/);
	});
});
