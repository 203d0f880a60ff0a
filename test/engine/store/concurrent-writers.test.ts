import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../source/engine/store/database.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { waitFor } from '../../helpers/wait-for.js';

const writerScript = fileURLToPath(new URL('../../helpers/store-writer.mjs', import.meta.url));
const builtStore = fileURLToPath(new URL('../../../dist/engine/store/database.js', import.meta.url));

type Writer = {
	child: ChildProcessWithoutNullStreams;
	stdout: string;
	stderr: string;
	code: Promise<number | null>;
};

/** Client processes, each ready to write `count` messages from its own sender once told to go. */
const startWriters = async (file: string, writers: number, count: number): Promise<Writer[]> => {
	if (!existsSync(builtStore)) throw new Error(`${builtStore} is missing: run \`npm run build\` first`);
	const started = Array.from({ length: writers }, (_, index) => {
		const child = spawn(process.execPath, [writerScript, file, `writer-${index}`, 'bbbb0000', String(count)]);
		const writer: Writer = {
			child,
			stdout: '',
			stderr: '',
			code: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
		};
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
			writer.stdout += chunk;
		});
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
			writer.stderr += chunk;
		});
		return writer;
	});
	await waitFor(() => started.every((writer) => writer.stdout.startsWith('ready\n')), {
		what: 'the writers to be ready',
		state: () => started.map((writer) => writer.stderr).join('\n'),
	});
	return started;
};

const go = (writers: readonly Writer[]) => {
	for (const writer of writers) writer.child.stdin.end('go\n');
};

/** Every writer ended well, having written all it was asked to. */
const expectAllWritten = async (writers: readonly Writer[], count: number) => {
	const codes = await Promise.all(writers.map((writer) => writer.code));
	expect(writers.map((writer) => writer.stderr)).toEqual(writers.map(() => ''));
	expect(codes).toEqual(writers.map(() => 0));
	for (const writer of writers) expect(writer.stdout).toBe(`ready\n{"written":${count}}\n`);
};

describe('several processes writing one database', () => {
	let dir: string | undefined;
	let t: TestEngine | undefined;
	afterEach(async () => {
		await t?.dispose();
		if (dir) rmSync(dir, { recursive: true, force: true });
		[t, dir] = [undefined, undefined];
	});

	it('creates and migrates a new file once when they all open it at the same moment', async () => {
		dir = mkdtempSync(join(tmpdir(), 'cao-concurrent-'));
		const file = join(dir, 'cao.db');
		const writers = await startWriters(file, 6, 50);
		go(writers);
		await expectAllWritten(writers, 50);
		const db = openDatabase(file);
		expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
		expect(db.prepare('SELECT COUNT(*) FROM inbox_messages').pluck().get()).toBe(300);
		expect(db.prepare("SELECT COUNT(*) FROM inbox_messages WHERE status = 'delivered'").pluck().get()).toBe(
			60,
		);
		db.close();
	});

	it('loses no write, and nothing fails busy, while the engine writes too', async () => {
		t = await startTestEngine();
		const engine = t.engine;
		const terminal = await engine.terminals.create({ provider: 'fake' });
		const writers = await startWriters(t.sandbox.paths.database, 4, 200);
		const warnings: string[] = [];
		engine.bus.on('engine.warning', ({ message }) => warnings.push(message));
		go(writers);
		// The engine's own writes meanwhile: messages to its terminal (queued, delivered when it is
		// idle, each delivery a transaction) and the statuses its turns go through.
		const sent = 100;
		for (let index = 0; index < sent; index++) {
			engine.inbox.send('user', terminal.id, `from the engine ${index}`);
			await new Promise((resolve) => setImmediate(resolve));
		}
		await expectAllWritten(writers, 200);

		const db = openDatabase(t.sandbox.paths.database);
		const count = (sql: string, ...values: string[]) =>
			db
				.prepare(sql)
				.pluck()
				.get(...values) as number;
		expect(count("SELECT COUNT(*) FROM inbox_messages WHERE sender_id LIKE 'writer-%'")).toBe(800);
		expect(count('SELECT COUNT(*) FROM inbox_messages WHERE receiver_id = ?', terminal.id)).toBe(sent);
		for (let index = 0; index < 4; index++)
			expect(
				count('SELECT COUNT(DISTINCT body) FROM inbox_messages WHERE sender_id = ?', `writer-${index}`),
			).toBe(200);
		db.close();
		// The engine answers still, and delivers what it was sent.
		await waitFor(() => engine.inbox.list(terminal.id, 'pending').length === 0, {
			what: 'the deliveries',
			timeoutMs: 20_000,
		});
		expect(warnings).toEqual([]);
	}, 60_000);
});
