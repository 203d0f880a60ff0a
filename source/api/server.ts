import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../engine/engine.js';
import { CaoError, NotFoundError, oneLine, ValidationError } from '../errors.js';
import { securePrivateSocket } from '../home.js';
import { requestEngine } from './client.js';
import { bearerMatches, type TcpListen } from './tcp.js';
import { route } from './routes.js';

/** Request bodies beyond this are refused (a message is at most 64 KB, input 1 MB). */
export const bodyLimit = 2 * 1024 * 1024;

export type ApiServerOptions = {
	engine: Engine;
	home: string;
	socketPath: string;
	/** What GET /health answers, besides the pid. */
	info?: Record<string, unknown>;
	/** Also listen on TCP (`--listen`), where every request must carry the bearer token. */
	tcp?: TcpListen;
};

class BodyTooLargeError extends CaoError {}

const statusOf = (error: unknown): number => {
	if (error instanceof ValidationError) return 400;
	if (error instanceof NotFoundError) return 404;
	if (error instanceof BodyTooLargeError) return 413;
	if (error instanceof CaoError) return 422;
	return 500;
};

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
	const text = `${JSON.stringify(body)}\n`;
	response.writeHead(status, {
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
	});
	response.end(text);
};

/**
 * The JSON body. One beyond the limit is read to its end without keeping it (so the client gets
 * its 413 rather than a broken pipe); one that says or turns out to be past eight times the
 * limit is not read at all, or cut off there: the connection closes after the 413.
 */
const readBody = (request: IncomingMessage): Promise<unknown> =>
	new Promise((resolve, reject) => {
		const tooLarge = () =>
			new BodyTooLargeError(`the request body is larger than ${bodyLimit / 1024 / 1024} MB`);
		if (Number(request.headers['content-length'] ?? 0) > 8 * bodyLimit) return reject(tooLarge());
		const parts: Buffer[] = [];
		let size = 0;
		request.on('data', (part: Buffer) => {
			size += part.length;
			if (size <= bodyLimit) parts.push(part);
			else if (size > 8 * bodyLimit) {
				request.pause();
				reject(tooLarge());
			}
		});
		request.on('end', () => {
			if (size > bodyLimit) return reject(tooLarge());
			const text = Buffer.concat(parts).toString('utf8');
			if (!text.trim()) return resolve(undefined);
			try {
				resolve(JSON.parse(text));
			} catch {
				reject(new ValidationError('the request body is not JSON'));
			}
		});
		request.on('error', reject);
		request.on('close', () => reject(new CaoError('the client went away before its request ended')));
	});

/**
 * Refuses to start a second engine on one CAO_HOME: a socket that answers belongs to a running
 * engine; one that does not is a dead engine's and is removed.
 */
const claimSocket = async (socketPath: string): Promise<void> => {
	if (!existsSync(socketPath)) return;
	const running = await alreadyRunning(socketPath);
	if (running) throw running;
	unlinkSync(socketPath);
};

/** "already running (pid N)" when an engine answers on the socket. */
const alreadyRunning = async (socketPath: string): Promise<CaoError | undefined> => {
	const health = await requestEngine(socketPath, 'GET', '/health').catch(() => undefined);
	if (!health) return undefined;
	const { pid } = health as { pid?: number };
	return new CaoError(`an engine is already running (pid ${pid ?? '?'}) for this CAO_HOME`);
};

/**
 * The control API: HTTP and JSON on a Unix socket (0600, in a 0700 folder); on TCP only when
 * asked, with a token. Errors are JSON `{"error": "one line"}` with a fitting status code.
 */
export const startApiServer = async (options: ApiServerOptions): Promise<Server> => {
	const { engine, socketPath } = options;
	// The kernel's limit for a socket's path (sun_path) is 108 bytes.
	if (Buffer.byteLength(socketPath) > 100)
		throw new CaoError(
			`the control socket path is too long for a Unix socket: ${socketPath} (set a shorter CAO_HOME)`,
		);
	// CAO_HOME was checked private by the caller (serveEngine), before the engine opened it.
	await claimSocket(socketPath);
	let listening: string | undefined;
	const info = () => ({
		pid: process.pid,
		home: options.home,
		...(listening ? { listen: listening } : {}),
		...options.info,
	});

	/**
	 * The request's path segments, taken literally: `..` is not resolved away (it reaches the
	 * validators and is refused there). A malformed %-escape is a 400, not a crash.
	 */
	const target = (request: IncomingMessage) => {
		const url = request.url ?? '/';
		const at = url.indexOf('?');
		const pathname = at === -1 ? url : url.slice(0, at);
		try {
			return {
				path: pathname.split('/').filter(Boolean).map(decodeURIComponent),
				query: new URLSearchParams(at === -1 ? '' : url.slice(at + 1)),
			};
		} catch {
			throw new ValidationError('the request path is malformed');
		}
	};
	const handle = (request: IncomingMessage, response: ServerResponse) => {
		// A client that hangs up mid-answer is its own business.
		response.on('error', () => {});
		Promise.resolve()
			.then(async () => {
				const { path, query } = target(request);
				const body = await readBody(request);
				return route({ engine, info }, { method: request.method ?? 'GET', path, query, body });
			})
			.then((reply) => {
				if ('stream' in reply) {
					response.writeHead(200, { 'content-type': 'application/x-ndjson' });
					// The client knows it is subscribed as soon as the headers come.
					response.flushHeaders();
					const off = engine.bus.onAny((topic, payload) => {
						if (!topic.endsWith('.output')) response.write(`${JSON.stringify({ topic, ...payload })}\n`);
					});
					response.on('close', off);
					return;
				}
				sendJson(response, reply.status, reply.body);
			})
			.catch((error: unknown) => {
				if (response.headersSent) return response.end();
				const status = statusOf(error);
				// A body left unread (too large, or never looked at) is not waited for: the connection ends.
				if (!request.complete) response.setHeader('connection', 'close');
				sendJson(response, status, {
					error: status === 500 ? `internal error: ${oneLine(error)}` : oneLine(error),
				});
			});
	};

	const server = createServer(handle);
	server.on('clientError', (_error, socket) => socket.destroy());
	// Only this user: the socket is created 0600 and the folder is 0700.
	const umask = process.umask(0o177);
	try {
		await new Promise<void>((resolve, reject) => {
			server.once('error', (error: NodeJS.ErrnoException) => {
				// Another engine took the socket between our look and our listen.
				if (error.code !== 'EADDRINUSE') return reject(error);
				void alreadyRunning(socketPath).then((running) =>
					reject(running ?? new CaoError('an engine is already running for this CAO_HOME')),
				);
			});
			server.listen(socketPath, resolve);
		});
	} finally {
		process.umask(umask);
	}
	try {
		securePrivateSocket(socketPath);
		if (options.tcp) listening = await listenTcp(server, handle, options.tcp);
	} catch (error) {
		await stopApiServer(server, socketPath);
		throw error;
	}
	return server;
};

/**
 * The same API on TCP, for requests that carry `Authorization: Bearer TOKEN`; any other gets a 401
 * and its body is not read. It closes with the Unix socket's server. Resolves with HOST:PORT.
 */
const listenTcp = async (
	unix: Server,
	handle: (request: IncomingMessage, response: ServerResponse) => void,
	{ host, port, token }: TcpListen,
): Promise<string> => {
	const tcp = createServer((request, response) => {
		if (bearerMatches(request.headers.authorization, token)) return handle(request, response);
		response.on('error', () => {});
		response.setHeader('connection', 'close');
		response.setHeader('www-authenticate', 'Bearer');
		sendJson(response, 401, { error: 'unauthorized: send Authorization: Bearer $CAO_API_TOKEN' });
	});
	tcp.on('clientError', (_error, socket) => socket.destroy());
	await new Promise<void>((resolve, reject) => {
		tcp.once('error', (error: NodeJS.ErrnoException) =>
			reject(new CaoError(`cannot listen on ${host}:${port}: ${error.code ?? oneLine(error)}`)),
		);
		tcp.listen({ host, port }, resolve);
	});
	unix.once('close', () => {
		tcp.closeAllConnections();
		tcp.close();
	});
	const address = tcp.address() as AddressInfo;
	return address.family === 'IPv6'
		? `[${address.address}]:${address.port}`
		: `${address.address}:${address.port}`;
};

/** Closes the server and its open event streams, and removes the socket. */
export const stopApiServer = async (server: Server, socketPath: string): Promise<void> => {
	server.closeAllConnections();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (existsSync(socketPath)) unlinkSync(socketPath);
};
