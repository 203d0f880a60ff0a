import { statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { request } from 'node:http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EngineError, requestEngine } from '../../source/api/client.js';
import { bodyLimit, startApiServer, stopApiServer } from '../../source/api/server.js';
import { createProfileStore } from '../../source/profiles/profile-store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

describeEachBackend('control API on a Unix socket, over a real engine', (backend) => {
	let t: TestEngine;
	let server: Server;
	let socket: string;
	const call = (method: string, path: string, body?: unknown) => requestEngine(socket, method, path, body);
	const failure = (method: string, path: string, body?: unknown) =>
		call(method, path, body).then(
			() => undefined,
			(error: unknown) => error as EngineError,
		);

	beforeEach(async () => {
		t = await startTestEngine({ backend });
		socket = t.sandbox.paths.socket;
		server = await startApiServer({
			engine: t.engine,
			home: t.sandbox.home,
			socketPath: socket,
		});
	});
	afterEach(async () => {
		await stopApiServer(server, socket);
		await t.dispose();
	});

	it('listens only for this user: socket 0600 in a 0700 folder', () => {
		expect(statSync(socket).mode & 0o777).toBe(0o600);
		expect(statSync(t.sandbox.home).mode & 0o777).toBe(0o700);
	});

	it('creates a terminal from a profile, takes input, and answers status and output', async () => {
		writeFileSync(`${t.sandbox.home}/tester.md`, '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		await createProfileStore({ storeDir: t.sandbox.paths.agentStore }).install(`${t.sandbox.home}/tester.md`);
		const created = (await call('POST', '/terminals', {
			profile: 'tester',
			env: { FAKE_AGENT_THINK_MS: '200' },
		})) as {
			id: string;
			profile: string;
			provider: string;
		};
		expect(created).toMatchObject({ profile: 'tester', provider: 'fake', lastStatus: 'idle' });
		expect(await call('GET', `/terminals/${created.id}/status`)).toMatchObject({
			status: 'idle',
			rule: 'fake.prompt',
		});
		await call('POST', `/terminals/${created.id}/input`, { text: 'hello api' });
		await waitFor(
			async () =>
				((await call('GET', `/terminals/${created.id}/status`)) as { status: string }).status === 'completed',
			{
				what: 'the turn',
			},
		);
		expect(await call('GET', `/terminals/${created.id}/output?mode=last`)).toEqual({
			output: 'Echo: hello api',
		});
		expect((await call('GET', '/terminals')) as unknown[]).toHaveLength(1);
		expect(await call('DELETE', `/terminals/${created.id}`)).toEqual({ removed: created.id });
		expect(await call('GET', '/terminals')).toEqual([]);
	});

	it('queues a message and lists the inbox by status', async () => {
		const receiver = (await call('POST', '/terminals', { provider: 'fake' })) as { id: string };
		const queued = (await call('POST', '/inbox', {
			senderId: 'aaaa0001',
			receiverId: receiver.id,
			message: 'hi',
		})) as {
			id: number;
		};
		await waitFor(
			async () => ((await call('GET', `/inbox/${receiver.id}?status=delivered`)) as unknown[]).length === 1,
			{
				what: 'the delivery',
			},
		);
		expect(await call('GET', `/inbox/${receiver.id}?status=delivered`)).toEqual([
			expect.objectContaining({ id: queued.id, body: 'hi', status: 'delivered' }),
		]);
	});

	it('streams events as NDJSON until the client goes', async () => {
		const lines: string[] = [];
		const stream = request({ socketPath: socket, path: '/events', agent: false });
		// The server subscribes before it answers: events after the answer are all seen.
		const opened = new Promise<void>((resolve) =>
			stream.on('response', (response) => {
				response.setEncoding('utf8');
				response.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
				resolve();
			}),
		);
		stream.end();
		await opened;
		const terminal = (await call('POST', '/terminals', { provider: 'fake' })) as { id: string };
		await waitFor(() => lines.some((line) => line.includes(`"terminal.${terminal.id}.status"`)), {
			what: 'a status event',
		});
		const event = JSON.parse(lines.find((line) => line.includes('.created')) ?? '{}') as Record<
			string,
			unknown
		>;
		expect(event).toMatchObject({ topic: `terminal.${terminal.id}.created`, provider: 'fake' });
		expect(lines.some((line) => line.includes('.output"'))).toBe(false);
		stream.destroy();
	});

	it('answers bad requests with a JSON error of one line and a fitting status', async () => {
		const cases: [string, string, unknown, number, string | RegExp][] = [
			['GET', '/terminals/ffff0000', undefined, 404, "unknown terminal 'ffff0000'"],
			['POST', '/terminals/ffff0000/input', { text: 'x' }, 404, "unknown terminal 'ffff0000'"],
			['POST', '/terminals', { provider: 'vim' }, 400, /^unknown provider 'vim'/],
			['POST', '/terminals', {}, 400, 'give a provider or a profile that names one'],
			['POST', '/terminals', { profile: '../etc' }, 400, /^invalid profile name/],
			['POST', '/terminals', { profile: 'nobody' }, 404, "no profile 'nobody' (see cao-tui profile list)"],
			['POST', '/terminals', { provider: 'fake', env: { 'BAD-NAME': 'x' } }, 400, /^field 'env\.BAD-NAME': /],
			['POST', '/terminals', { provider: 'fake', color: 'red' }, 400, /^Unrecognized key/],
			['GET', '/terminals/ffff0000/output?mode=all', undefined, 400, "mode is full or last, not 'all'"],
			['GET', '/nothing', undefined, 404, 'no route GET /nothing'],
		];
		for (const [method, path, body, status, message] of cases) {
			const error = await failure(method, path, body);
			expect(error, `${method} ${path}`).toBeInstanceOf(EngineError);
			expect(error?.status, `${method} ${path}`).toBe(status);
			expect(error?.message, `${method} ${path}`).toMatch(message);
		}
		const big = await failure('POST', '/inbox', {
			senderId: 'a',
			receiverId: 'b',
			message: 'x'.repeat(bodyLimit),
		});
		expect(big).toMatchObject({ status: 413 });
		expect(t.engine.terminals.list()).toEqual([]);
	});

	it('takes over the socket a killed engine left behind', async () => {
		await stopApiServer(server, socket);
		writeFileSync(socket, '');
		server = await startApiServer({
			engine: t.engine,
			home: t.sandbox.home,
			socketPath: socket,
		});
		expect(await call('GET', '/health')).toMatchObject({ pid: process.pid, home: t.sandbox.home });
	});

	it('refuses a second engine on the same CAO_HOME, naming the pid of the first', async () => {
		await expect(
			startApiServer({
				engine: t.engine,
				home: t.sandbox.home,
				socketPath: socket,
			}),
		).rejects.toThrow(`an engine is already running (pid ${process.pid}) for this CAO_HOME`);
	});
});
