import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestEngine } from '../../source/api/client.js';
import { runCli, startCli } from '../helpers/cli.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

const token = 'a-test-token-of-forty-characters-long-xx';

/**
 * The TCP sockets process `pid` listens on: the socket inodes among its open files, looked up in
 * the kernel's tables of TCP sockets (state 0A is LISTEN).
 */
const listeningTcp = (pid: number): string[] => {
	const inodes = new Set<string>();
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		try {
			const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
			const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
			if (inode) inodes.add(inode);
		} catch {
			// Closed while we looked.
		}
	}
	return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
		readFileSync(table, 'utf8')
			.split('\n')
			.slice(1)
			.map((line) => line.trim().split(/\s+/))
			.filter((fields) => fields[3] === '0A' && inodes.has(fields[9] ?? ''))
			.map((fields) => fields[1] ?? ''),
	);
};

type Answer = { status: number; body: Record<string, unknown> };

/** One HTTP request over TCP, with the headers given. */
const tcpCall = (
	address: string,
	method: string,
	path: string,
	headers: Record<string, string> = {},
	body?: string | Buffer,
): Promise<Answer> => {
	const { hostname, port } = new URL(`http://${address}`);
	return new Promise((resolve, reject) => {
		const call = request(
			{ host: hostname.replace(/^\[|\]$/g, ''), port, method, path, headers, agent: false },
			(response) => {
				let text = '';
				response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
				response.on('end', () =>
					resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
				);
			},
		);
		call.on('error', reject);
		call.end(body);
	});
};

describe('the control API on TCP: only with --listen and a token', () => {
	let sandbox: Sandbox;
	let engines: ReturnType<typeof startCli>[];
	beforeEach(() => {
		sandbox = createSandbox('pty');
		engines = [];
	});
	afterEach(async () => {
		for (const engine of engines) {
			engine.child.kill('SIGTERM');
			await engine.exited;
		}
		sandbox.dispose();
	});

	const start = async (args: string[], env: NodeJS.ProcessEnv) => {
		const engine = startCli(['--no-ui', ...args], { ...sandbox.env, ...env });
		engines.push(engine);
		await waitFor(() => engine.lines.length > 0, { what: 'engine.started', state: engine.stderr });
		const health = (await requestEngine(sandbox.paths.socket, 'GET', '/health')) as {
			pid: number;
			listen?: string;
		};
		return { engine, health };
	};

	it('opens no TCP socket without --listen, even with a token set', async () => {
		const { engine, health } = await start([], { CAO_API_TOKEN: token });
		expect(health.pid).toBe(engine.child.pid);
		expect(health.listen).toBeUndefined();
		expect(listeningTcp(health.pid)).toEqual([]);
	});

	it('with --listen PORT: loopback only, one listening socket, and every request needs the token', async () => {
		const { health } = await start(['--listen', '0'], { CAO_API_TOKEN: token });
		// The check above is honest: it does see the one socket the engine listens on.
		expect(listeningTcp(health.pid)).toHaveLength(1);
		expect(health.listen).toMatch(/^127\.0\.0\.1:\d+$/);
		const address = health.listen ?? '';

		const refused: Record<string, string>[] = [
			{},
			{ authorization: `Bearer ${token.slice(0, -1)}y` },
			{ authorization: `Bearer ${token}x` },
			{ authorization: `Bearer ${token.slice(0, 8)}` },
			{ authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` },
			{ authorization: `bearer` },
			{ authorization: `Bearer ${token} ${token}` },
		];
		for (const headers of refused) {
			const answer = await tcpCall(address, 'GET', '/health', headers);
			expect(answer, JSON.stringify(headers)).toEqual({
				status: 401,
				body: { error: 'unauthorized: send Authorization: Bearer $CAO_API_TOKEN' },
			});
		}
		// A request that would change something is refused the same way, and nothing changes.
		const posted = await tcpCall(
			address,
			'POST',
			'/terminals',
			{ 'content-type': 'application/json' },
			JSON.stringify({ provider: 'shell' }),
		);
		expect(posted.status).toBe(401);
		expect((await requestEngine(sandbox.paths.socket, 'GET', '/terminals')) as unknown[]).toEqual([]);
		// A large body without the token is not read: the 401 comes first, or the connection closes.
		const flood = await tcpCall(address, 'POST', '/inbox', {}, Buffer.alloc(20 * 1024 * 1024, 'a')).then(
			(answer) => String(answer.status),
			(error: NodeJS.ErrnoException) => error.code ?? String(error),
		);
		expect(flood).toMatch(/^(401|EPIPE|ECONNRESET)$/);

		const authorization = `Bearer ${token}`;
		expect(await tcpCall(address, 'GET', '/health', { authorization })).toMatchObject({
			status: 200,
			body: { pid: health.pid },
		});
		expect(await tcpCall(address, 'GET', '/terminals/ffff0000', { authorization })).toMatchObject({
			status: 404,
			body: { error: "unknown terminal 'ffff0000'" },
		});
		// The Unix socket needs none.
		expect(await requestEngine(sandbox.paths.socket, 'GET', '/terminals')).toEqual([]);
	});

	it('binds the address given: [::1]:PORT', async () => {
		const { health } = await start(['--listen', '[::1]:0'], { CAO_API_TOKEN: token });
		expect(health.listen).toMatch(/^\[::1\]:\d+$/);
		const answer = await tcpCall(health.listen ?? '', 'GET', '/health', { authorization: `Bearer ${token}` });
		expect(answer.status).toBe(200);
	});

	it.each([
		[[], {}, '--listen needs a token: set CAO_API_TOKEN to a secret of at least 32 characters'],
		[[], { CAO_API_TOKEN: 'short' }, 'CAO_API_TOKEN is 5 characters; --listen needs at least 32'],
		[[], { CAO_API_TOKEN: `${token} x` }, 'CAO_API_TOKEN must not contain spaces or line breaks'],
		[
			['nope'],
			{ CAO_API_TOKEN: token },
			"--listen wants [HOST:]PORT (e.g. 8765, 127.0.0.1:8765, [::1]:8765), not 'nope'",
		],
		[['70000'], { CAO_API_TOKEN: token }, "not '70000'"],
		[['[1:2:3:4:5:6:7:8:9]:80'], { CAO_API_TOKEN: token }, "'1:2:3:4:5:6:7:8:9' is not an IPv6 address"],
		[['[nope]:80'], { CAO_API_TOKEN: token }, "not '[nope]:80'"],
		[['a b:80'], { CAO_API_TOKEN: token }, "'a b' is not a host name or address"],
	])('refuses --listen %j with %j in one line, before anything starts', async (spec, env, message) => {
		const args = ['--no-ui', '--listen', ...(spec.length > 0 ? spec : ['8765'])];
		const result = await runCli(args, { ...sandbox.env, CAO_API_TOKEN: '', ...env });
		expect(result.code).toBe(1);
		expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
		expect(result.stderr).toMatch(/^cao-tui: /);
		expect(result.stderr).toContain(message);
	});

	it('says in one line when the port is taken', async () => {
		const { health } = await start(['--listen', '0'], { CAO_API_TOKEN: token });
		const port = (health.listen ?? '').split(':')[1];
		const other = createSandbox('pty');
		try {
			const result = await runCli(['--no-ui', '--listen', `127.0.0.1:${port}`], {
				...other.env,
				CAO_API_TOKEN: token,
			});
			expect(result.code).toBe(1);
			expect(result.stderr).toBe(`cao-tui: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
		} finally {
			other.dispose();
		}
	});
});
