import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chmodSync,
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attribution } from '../../source/engine/inbox/inbox-service.js';
import { terminalStatuses } from '../../source/engine/status/statuses.js';
import { cliPath, runCli } from '../helpers/cli.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

type Answer = { status: number; text: string } | { error: string };

/** Reads a response to its end, as an Answer. */
const answerOf = (response: IncomingMessage, resolve: (answer: Answer) => void) => {
	const parts: Buffer[] = [];
	response.on('data', (part: Buffer) => parts.push(part));
	response.on('end', () =>
		resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
	);
};

/** What every case is, and what came of it: the summary printed at the end. */
const tally: { group: string; outcome: string }[] = [];
/** Memory figures measured on the way, for the summary. */
const figures: string[] = [];
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describeWithTmux('the control API under bad input, on a real engine process', () => {
	let sandbox: Sandbox;
	let engine: ReturnType<typeof spawn>;
	let socketPath: string;
	let markers: string;
	let stderr = '';
	let terminalId: string;
	let baseRss: number;

	/** One raw HTTP request on the control socket: any body, any path. */
	const raw = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
		new Promise<Answer>((resolve) => {
			const call = request(
				{
					socketPath,
					method,
					path,
					agent: false,
					headers:
						body === undefined
							? headers
							: {
									'content-type': 'application/json',
									'content-length': String(Buffer.byteLength(body)),
									...headers,
								},
				},
				(response) => answerOf(response, resolve),
			);
			call.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? String(error) }));
			call.end(body);
		});
	const json = (method: string, path: string, body: unknown) => raw(method, path, JSON.stringify(body));
	const ok = async (method: string, path: string, body?: unknown) => {
		const answer = await raw(method, path, body === undefined ? undefined : JSON.stringify(body));
		if (!('status' in answer) || answer.status >= 400)
			throw new Error(`${method} ${path}: ${JSON.stringify(answer)}`);
		return JSON.parse(answer.text) as unknown;
	};

	const rss = () =>
		Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${engine.pid}/status`, 'utf8'))?.[1]) * 1024;

	/** The engine still runs and answers, whatever came before. */
	const expectAlive = async () => {
		expect(engine.exitCode, stderr).toBeNull();
		const health = await raw('GET', '/health');
		expect(health).toMatchObject({ status: 200 });
		expect(JSON.parse((health as { text: string }).text)).toMatchObject({ pid: engine.pid });
	};

	/** An error answer: the status, JSON `{"error": one line}`, no stack trace. */
	const expectRefused = async (group: string, answer: Answer, status: number, message?: string | RegExp) => {
		expect(answer).toHaveProperty('status', status);
		const { text } = answer as { text: string };
		const body = JSON.parse(text) as { error: unknown };
		expect(Object.keys(body)).toEqual(['error']);
		expect(typeof body.error).toBe('string');
		const error = body.error as string;
		expect(error).not.toMatch(/\n|\s+at .*\(|internal error/);
		if (message !== undefined) expect(error).toMatch(message);
		tally.push({ group, outcome: `refused ${status}` });
		await expectAlive();
	};

	const lastReply = async (id: string) =>
		((await ok('GET', `/terminals/${id}/output?mode=last`)) as { output: string }).output;
	const statusOf = async (id: string) =>
		((await ok('GET', `/terminals/${id}/status`)) as { status: string }).status;

	/** Sends input and waits for the fake agent's echo of it. */
	const turn = async (id: string, text: string) => {
		await ok('POST', `/terminals/${id}/input`, { text });
		return waitFor(
			async () => {
				const reply = await lastReply(id);
				return (await statusOf(id)) === 'completed' && reply.startsWith('Echo: ') ? reply : undefined;
			},
			{ what: `the echo of ${JSON.stringify(text).slice(0, 40)}`, timeoutMs: 15_000 },
		);
	};

	/** The process that runs in the terminal's tmux pane (env execs the agent). */
	const panePid = async (id: string) => {
		const { session, window } = (await ok('GET', `/terminals/${id}`)) as { session: string; window: string };
		return Number(sandbox.tmux('list-panes', '-t', `=${session}:=${window}`, '-F', '#{pane_pid}').trim());
	};

	/** Shell syntax that would leave a file named `tag-N` in `markers` if anything ran it. */
	const shellBait = (tag: string) =>
		[
			`$(touch ${tag}-1)`,
			`\`touch ${tag}-2\``,
			`; touch ${tag}-3`,
			`| touch ${tag}-4`,
			`&& touch ${tag}-5`,
			`#(touch ${tag}-6)`,
			`'; touch ${tag}-7; '`,
			`"; touch ${tag}-8; "`,
			`$(touch ${markers}/${tag}-9)`,
		].join(' ');

	beforeAll(async () => {
		sandbox = createSandbox('tmux');
		socketPath = sandbox.paths.socket;
		markers = join(sandbox.home, 'markers');
		mkdirSync(markers);
		// The engine (and the tmux server it starts) run in the markers folder: a relative `touch`
		// run by any shell of theirs would land there.
		engine = spawn(process.execPath, [cliPath, '--no-ui'], {
			cwd: markers,
			env: { ...sandbox.env, FAKE_AGENT_THINK_MS: '100' },
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		engine.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
		await waitFor(async () => 'status' in (await raw('GET', '/health')), {
			what: 'the engine',
			state: () => stderr,
		});
		terminalId = (
			(await ok('POST', '/terminals', { provider: 'fake', workingDirectory: markers })) as { id: string }
		).id;
		baseRss = rss();
	});

	afterAll(async () => {
		// Every case checked the engine answered; a crash would also show here, as an exit code.
		const crashes = engine.exitCode === null ? 0 : 1;
		if (engine.exitCode === null) {
			const exited = new Promise((resolve) => engine.once('exit', resolve));
			engine.kill('SIGTERM');
			await exited;
		}
		sandbox?.dispose();
		const groups = new Map<string, Map<string, number>>();
		for (const { group, outcome } of tally) {
			const outcomes = groups.get(group) ?? new Map<string, number>();
			outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
			groups.set(group, outcomes);
		}
		const lines = [...groups].map(
			([group, outcomes]) =>
				`| ${group} | ${[...outcomes].map(([outcome, count]) => `${outcome}: ${count}`).join(', ')} |`,
		);
		process.stdout.write(
			`\nbad-input cases: ${tally.length}, engine crashes: ${crashes}\n${lines.join('\n')}\n${figures.join('\n')}\n`,
		);
	});

	it('refuses malformed JSON with a 400, on every route that takes a body', async () => {
		const bodies: (string | Buffer)[] = [
			'{',
			'{"text": ',
			'{"text": "a"}}',
			"{'text': 'a'}",
			'nul',
			'{"text": "a",}',
			'\u0000\u0001\u0002',
			Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
			'[1, 2',
			'{"text": "\\x41"}',
		];
		const routes = [
			'/terminals',
			`/terminals/${terminalId}/input`,
			`/terminals/${terminalId}/keys`,
			'/inbox',
			'/flows/x/run',
		];
		for (const path of routes)
			for (const body of bodies)
				await expectRefused(
					'malformed JSON',
					await raw('POST', path, body),
					400,
					'the request body is not JSON',
				);
		// Deep nesting is JSON, just not an object the route takes.
		await expectRefused(
			'malformed JSON',
			await raw('POST', '/inbox', `${'['.repeat(100_000)}${']'.repeat(100_000)}`),
			400,
		);
	});

	it('drops connections that do not speak HTTP, or send oversized headers, and keeps serving', async () => {
		/** Writes `bytes` on a raw connection; resolves with what came back before it closed. */
		const rawSocket = (bytes: Buffer | string) =>
			new Promise<string>((resolve) => {
				const socket = connect(socketPath);
				let answer = '';
				socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
				socket.on('error', () => {});
				socket.on('close', () => resolve(answer));
				socket.end(bytes);
			});
		const cases: (Buffer | string)[] = [
			randomBytes(64 * 1024),
			'\u0000\u0000\u0000\u0000',
			'FROB /health HTTP/1.1\r\n\r\n',
			'GET /health HTTP/9.9\r\n\r\n',
			`GET /health HTTP/1.1\r\nx-big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
			'POST /inbox HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
			'POST /inbox HTTP/1.1\r\ncontent-length: -1\r\n\r\n',
			'POST /inbox HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
		];
		for (const bytes of cases) {
			const answer = await rawSocket(bytes);
			// Nothing, or an HTTP error status; never a success, never a stack trace.
			expect(answer).not.toMatch(/^HTTP\/1\.1 2|\s+at .*\(/);
			tally.push({ group: 'not HTTP, bad framing, huge headers', outcome: 'connection dropped' });
			await expectAlive();
		}
	});

	it('refuses wrong JSON types and missing fields with a 400 naming the field', async () => {
		const input = `/terminals/${terminalId}/input`;
		const keys = `/terminals/${terminalId}/keys`;
		const cases: [string, unknown, RegExp?][] = [
			...['[]', '"text"', '42', 'true'].map((text): [string, unknown] => [input, JSON.parse(text)]),
			[input, { text: 5 }, /text/],
			[input, { text: null }, /text/],
			[input, { text: ['a'] }, /text/],
			[input, {}, /text/],
			[input, { text: 'a', extra: 1 }, /Unrecognized key/],
			[keys, { keys: 'Enter' }, /keys/],
			[keys, { keys: [] }, /keys/],
			[keys, { keys: [1] }, /keys/],
			['/terminals', [], undefined],
			['/terminals', { provider: 5 }, /provider/],
			['/terminals', { provider: 'fake', env: [] }, /env/],
			['/terminals', { provider: 'fake', env: { A: 5 } }, /env/],
			['/terminals', { provider: 'fake', args: 'x' }, /args/],
			['/terminals', { provider: 'fake', session: 42 }, /session/],
			['/terminals', { provider: 'fake', workingDirectory: {} }, /workingDirectory/],
			['/terminals', { provider: 'fake', callerId: '../x' }, /callerId/],
			['/inbox', { senderId: 1, receiverId: terminalId, message: 'x' }, /senderId/],
			['/inbox', { senderId: 'aaaa0001', receiverId: terminalId }, /message/],
			['/inbox', { senderId: 'aaaa0001', message: 'x' }, /receiverId/],
			['/inbox', { senderId: 'aaaa0001', receiverId: terminalId, message: { text: 'x' } }, /message/],
			['/flows/x/run', { script: '/bin/sh' }, /Unrecognized key/],
		];
		for (const [path, body, message] of cases)
			await expectRefused('wrong types, missing fields', await json('POST', path, body), 400, message);
		expect(((await ok('GET', '/terminals')) as unknown[]).length).toBe(1);
	});

	it('refuses oversized bodies: 3 MB read and answered 413, 20 MB cut off without being kept', async () => {
		const before = rss();
		const big = JSON.stringify({ text: 'x'.repeat(3 * 1024 * 1024) });
		await expectRefused(
			'oversized body',
			await raw('POST', `/terminals/${terminalId}/input`, big),
			413,
			/larger than 2 MB/,
		);

		/** Streams `total` bytes at the engine, declared up front or chunked; resolves with how it ended. */
		const flood = (total: number, declared: boolean) =>
			new Promise<Answer>((resolve) => {
				const call = request(
					{
						socketPath,
						method: 'POST',
						path: '/inbox',
						agent: false,
						headers: declared ? { 'content-length': String(total) } : {},
					},
					(response) => answerOf(response, resolve),
				);
				call.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? String(error) }));
				const chunk = Buffer.alloc(1024 * 1024, 'a');
				let sent = 0;
				const pump = () => {
					while (sent < total && !call.destroyed) {
						sent += chunk.length;
						if (!call.write(chunk)) return void call.once('drain', pump);
					}
					call.end();
				};
				pump();
			});
		for (const declared of [true, false]) {
			for (let round = 0; round < 3; round += 1) {
				const answer = await flood(20 * 1024 * 1024, declared);
				// Either the 413 arrived, or the engine closed the connection on a body it would not read.
				if ('status' in answer) await expectRefused('oversized body', answer, 413);
				else {
					expect(['EPIPE', 'ECONNRESET']).toContain(answer.error);
					tally.push({ group: 'oversized body', outcome: `cut off (${answer.error})` });
					await expectAlive();
				}
			}
		}
		// 120 MB were sent; a body kept in memory would show several times over.
		figures.push(`engine RSS growth over six 20 MB bodies: ${megabytes(rss() - before)}`);
		expect(rss() - before).toBeLessThan(64 * 1024 * 1024);
	});

	it('answers unknown terminal ids 404 and ids of a bad shape 400, on every terminal route', async () => {
		const shapes = [
			'..%2Fx',
			'..%2F..%2Fetc%2Fpasswd',
			'a'.repeat(300),
			encodeURIComponent('ffff000é'),
			encodeURIComponent('名前'),
			'%00',
			'FFFF0000',
			'ffff00000',
			'%20',
		];
		const routes: [string, (id: string) => string, unknown?][] = [
			['GET', (id) => `/terminals/${id}`],
			['DELETE', (id) => `/terminals/${id}`],
			['GET', (id) => `/terminals/${id}/status`],
			['GET', (id) => `/terminals/${id}/output`],
			['POST', (id) => `/terminals/${id}/input`, { text: 'x' }],
			['POST', (id) => `/terminals/${id}/keys`, { keys: ['Enter'] }],
			['GET', (id) => `/inbox/${id}`],
		];
		for (const [method, path, body] of routes) {
			await expectRefused(
				'unknown terminal id',
				await json(method, path('ffff0000'), body),
				404,
				"unknown terminal 'ffff0000'",
			);
			for (const shape of shapes)
				await expectRefused(
					'terminal id of a bad shape',
					await json(method, path(shape), body),
					400,
					/^invalid terminal id '.{0,65}' \(8 hex digits\)$/,
				);
		}
		await expectRefused(
			'unknown terminal id',
			await json('POST', '/inbox', { senderId: 'aaaa0001', receiverId: 'ffff0000', message: 'x' }),
			404,
		);
		await expectRefused(
			'terminal id of a bad shape',
			await json('POST', '/inbox', { senderId: 'aaaa0001', receiverId: '../x', message: 'x' }),
			400,
			/receiverId/,
		);
		// A malformed %-escape is a 400, not an error thrown out of the request handler.
		for (const path of ['/terminals/%E0%A4%A', '/terminals/%', '/flows/%ZZ/run', '/sessions/%C0'])
			await expectRefused('malformed path', await raw('GET', path), 400, 'the request path is malformed');
		expect(((await ok('GET', '/terminals')) as unknown[]).length).toBe(1);
	});

	it('refuses path traversal in profile, flow and session names, touching no file outside their folders', async () => {
		// A file a traversal could reach: a valid profile, one folder above the store.
		writeFileSync(join(sandbox.home, 'outside.md'), '---\nname: outside\nprovider: fake\n---\nx\n');
		for (const profile of [
			'../outside',
			'../../etc/passwd',
			'a/b',
			'..',
			'.',
			'a\0b',
			'/etc/passwd',
			'x'.repeat(300),
			'%2e%2e',
		])
			await expectRefused(
				'path traversal',
				await json('POST', '/terminals', { profile }),
				400,
				/^invalid profile name/,
			);
		for (const name of [
			'..%2Foutside',
			'..%2F..%2Fetc%2Fpasswd',
			'a%2Fb',
			'%2E%2E',
			'a%00b',
			'%2Fetc%2Fpasswd',
		])
			await expectRefused(
				'path traversal',
				await raw('POST', `/flows/${name}/run`),
				400,
				/^invalid flow name/,
			);
		// A literal `..` segment is not resolved away: it is the name, and refused as one.
		await expectRefused('path traversal', await raw('POST', '/flows/../run'), 400, "invalid flow name '..'");
		await expectRefused(
			'path traversal',
			await raw('GET', '/terminals/../health'),
			400,
			/^invalid terminal id '\.\.'/,
		);
		for (const session of ['..%2Fx', 'a%2Fb', '%00', encodeURIComponent('$(touch s-1)')])
			await expectRefused(
				'path traversal',
				await raw('DELETE', `/sessions/${session}`),
				400,
				/^invalid session name/,
			);
		for (const session of ['../x', '$(touch s-2)', 'a b', '#(touch s-3)'])
			await expectRefused(
				'path traversal',
				await json('POST', '/terminals', { provider: 'fake', session }),
				400,
				/^invalid session name/,
			);
		expect(((await ok('GET', '/terminals')) as unknown[]).length).toBe(1);
	});

	it('runs only registered flows: no script from a request or an unregistered file', async () => {
		const gate = (marker: string, output: Record<string, unknown>) =>
			`#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(join(markers, marker))}, '');\nprocess.stdout.write(${JSON.stringify(JSON.stringify({ execute: true, output }))});\n`;
		const flows = join(sandbox.home, 'flows');
		mkdirSync(flows);
		writeFileSync(join(flows, 'evil-gate.cjs'), gate('evil-ran', {}));
		writeFileSync(join(flows, 'gate.cjs'), gate('gate-ran', { v: shellBait('g') }));
		for (const script of ['evil-gate.cjs', 'gate.cjs']) chmodSync(join(flows, script), 0o700);
		const flowFile = (name: string, script: string, prompt: string) =>
			`---\nname: ${name}\nschedule: "0 0 1 1 *"\nagent_profile: developer\nprovider: fake\nscript: ./${script}\n---\n${prompt}\n`;
		// Never added: the engine must not know it.
		writeFileSync(join(flows, 'evil.md'), flowFile('evil', 'evil-gate.cjs', 'x'));
		writeFileSync(
			join(flows, 'nightly.md'),
			flowFile('nightly', 'gate.cjs', `Check [[v]] ${shellBait('f')}`),
		);
		const added = await runCli(['flow', 'add', join(flows, 'nightly.md')], sandbox.env);
		expect(added.stderr).toBe('');

		await expectRefused(
			'unregistered flow',
			await raw('POST', '/flows/evil/run'),
			404,
			"no flow 'evil' (see cao-tui flow list)",
		);
		for (const body of [
			{ file: join(flows, 'evil.md') },
			{ script: `${flows}/evil-gate.cjs` },
			{ prompt: 'x' },
		])
			for (const name of ['evil', 'nightly'])
				await expectRefused(
					'unregistered flow',
					await json('POST', `/flows/${name}/run`, body),
					400,
					/^Unrecognized key/,
				);

		// The registered flow runs its own gate, and its prompt (filled with the gate's output) reaches
		// the agent as text.
		expect(await ok('POST', '/flows/nightly/run')).toMatchObject({ started: 'nightly' });
		const flowTerminal = await waitFor(
			async () =>
				((await ok('GET', '/terminals')) as { id: string; session: string }[]).find(
					(record) => record.session === 'cao-flow-nightly',
				),
			{ what: 'the flow terminal' },
		);
		const reply = await waitFor(
			async () => {
				const text = await lastReply(flowTerminal.id);
				return text.startsWith('Echo: Check') ? text : undefined;
			},
			{ what: "the flow's prompt echoed", timeoutMs: 15_000 },
		);
		expect(reply).toBe(`Echo: Check ${shellBait('g')} ${shellBait('f')}`);
		expect(existsSync(join(markers, 'gate-ran'))).toBe(true);
		expect(existsSync(join(markers, 'evil-ran'))).toBe(false);
		tally.push({ group: 'shell metacharacters', outcome: 'delivered literally' });
		await ok('DELETE', `/terminals/${flowTerminal.id}`);
	});

	it('delivers shell metacharacters as literal text, to the terminal, its argv, env and folder', async () => {
		const text = shellBait('i');
		expect(await turn(terminalId, text)).toBe(`Echo: ${text}`);
		tally.push({ group: 'shell metacharacters', outcome: 'delivered literally' });

		const message = shellBait('m').slice(0, 90);
		await ok('POST', '/inbox', { senderId: 'aaaa0001', receiverId: terminalId, message });
		const delivered = await waitFor(
			async () => {
				const reply = await lastReply(terminalId);
				return reply.includes(attribution('aaaa0001')) && (await statusOf(terminalId)) === 'completed'
					? reply
					: undefined;
			},
			{ what: 'the message echoed' },
		);
		expect(delivered).toBe(`Echo: ${message} ${attribution('aaaa0001')}`);
		tally.push({ group: 'shell metacharacters', outcome: 'delivered literally' });

		// A folder whose name is shell and tmux syntax, env values and argv words that are too.
		const folder = join(markers, '$(touch w-1) #(touch w-2) `touch w-3`; touch w-4 #{pane_id}');
		mkdirSync(folder);
		const value = shellBait('e');
		const args = ['$(touch a-1)', '#(touch a-2)', '; touch a-3', '`touch a-4`', '#{pane_id}'];
		const created = (await ok('POST', '/terminals', {
			provider: 'fake',
			workingDirectory: folder,
			env: { BAIT: value },
			args,
		})) as { id: string };
		const pid = await panePid(created.id);
		expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(folder);
		expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`BAIT=${value}`);
		expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(args));
		tally.push({ group: 'shell metacharacters', outcome: 'delivered literally' });
		await ok('DELETE', `/terminals/${created.id}`);

		// Keys are key names only.
		for (const key of ['$(touch k-1)', 'C-c; touch k-2', '#(touch k-3)'])
			await expectRefused(
				'shell metacharacters',
				await json('POST', `/terminals/${terminalId}/keys`, { keys: [key] }),
				400,
				/key name/,
			);

		const made = readdirSync(markers).filter(
			(name) => !name.startsWith('$(touch w-1)') && name !== 'gate-ran',
		);
		expect(made).toEqual([]);
		expect(readdirSync(folder)).toEqual([]);
	});

	it('takes control and binary bytes safely: stripped from input, refused in messages, never a crash', async () => {
		const text =
			'red \u001b[31mred\u001b[0m\r bell\u0007 ctrl-c\u0003 nul\u0000 del\u007f esc\u001b]0;title\u0007 end';
		expect(await turn(terminalId, text)).toBe('Echo: red [31mred[0m bell ctrl-c nul del esc]0;title end');
		tally.push({ group: 'control and binary bytes', outcome: 'delivered, control bytes removed' });

		// Invalid UTF-8 inside a JSON string arrives as U+FFFD, literally.
		const invalid = Buffer.concat([
			Buffer.from('{"text": "bytes '),
			Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
			Buffer.from(' end"}'),
		]);
		const answer = await raw('POST', `/terminals/${terminalId}/input`, invalid);
		expect(answer).toMatchObject({ status: 200 });
		await waitFor(async () => (await lastReply(terminalId)).startsWith('Echo: bytes'), { what: 'the echo' });
		expect(await lastReply(terminalId)).toBe('Echo: bytes \ufffd(\ufffd\ufffd end');
		tally.push({ group: 'control and binary bytes', outcome: 'delivered, invalid UTF-8 as U+FFFD' });
		await waitFor(async () => (await statusOf(terminalId)) === 'completed', { what: 'completed' });

		await expectRefused(
			'control and binary bytes',
			await json('POST', '/inbox', { senderId: 'aaaa0001', receiverId: terminalId, message: 'a\u0000b' }),
			400,
			'the message is binary (it holds NUL bytes)',
		);
		const escape = '\u001b[2J\u001b[H\r\u0003 cleared?';
		await ok('POST', '/inbox', { senderId: 'aaaa0002', receiverId: terminalId, message: escape });
		const delivered = await waitFor(
			async () => {
				const reply = await lastReply(terminalId);
				return reply.includes(attribution('aaaa0002')) && (await statusOf(terminalId)) === 'completed'
					? reply
					: undefined;
			},
			{ what: 'the message echoed' },
		);
		expect(delivered).toBe(`Echo: [2J[H cleared? ${attribution('aaaa0002')}`);
		tally.push({ group: 'control and binary bytes', outcome: 'delivered, control bytes removed' });
		for (const id of ['\u0000', '\u001b[A', '\r\n'])
			await expectRefused(
				'control and binary bytes',
				await raw('GET', `/terminals/${encodeURIComponent(id)}`),
				400,
				/^invalid terminal id/,
			);
	});

	it('survives 10 MB of random bytes written into a terminal FIFO: bounded memory, sane status, still works', async () => {
		const fifo = join(sandbox.paths.fifos, `${terminalId}.fifo`);
		expect(existsSync(fifo)).toBe(true);
		const log = join(sandbox.paths.logs, `${terminalId}.log`);
		const logged = existsSync(log) ? statSync(log).size : 0;
		const before = rss();
		await writeFile(fifo, randomBytes(10 * 1024 * 1024));
		tally.push({ group: 'FIFO garbage (10 MB)', outcome: 'survived' });
		await expectAlive();
		expect(terminalStatuses).toContain(await statusOf(terminalId));
		// Measured once the log writer has flushed it (its peak: the second of output it holds, joined).
		await waitFor(() => existsSync(log) && statSync(log).size - logged >= 10 * 1024 * 1024, {
			what: 'the garbage in the log',
		});
		figures.push(
			`engine RSS growth over 10 MB of FIFO garbage, after the log flush: ${megabytes(rss() - before)}`,
		);
		expect(rss() - before).toBeLessThan(100 * 1024 * 1024);
		await expectAlive();
		expect(terminalStatuses).toContain(await statusOf(terminalId));
		// Not stuck: the agent takes a turn after the garbage, and its status follows.
		expect(await turn(terminalId, 'after the garbage')).toBe('Echo: after the garbage');
		expect(rss() - baseRss).toBeLessThan(150 * 1024 * 1024);
		expect(engine.exitCode).toBeNull();
		expect(
			execFileSync('tmux', ['-L', sandbox.socket, 'list-windows', '-a'], { encoding: 'utf8' }),
		).toBeTruthy();
	});
});
