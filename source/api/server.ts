import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import { CaoError, NotFoundError, oneLine, ValidationError } from '../errors.js';
import { preparePrivateHome, securePrivateSocket } from '../home.js';
import { requestEngine } from './client.js';
import { route } from './routes.js';

/** Request bodies beyond this are refused (a message is at most 64 KB, input 1 MB). */
export const bodyLimit = 2 * 1024 * 1024;

export type ApiServerOptions = {
	engine: Engine;
	home: string;
	socketPath: string;
	/** What GET /health answers, besides the pid. */
	info?: Record<string, unknown>;
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
 * its 413 rather than a broken pipe), and cut off past eight times the limit.
 */
const readBody = (request: IncomingMessage): Promise<unknown> =>
	new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		let size = 0;
		request.on('data', (part: Buffer) => {
			size += part.length;
			if (size <= bodyLimit) parts.push(part);
			else if (size > 8 * bodyLimit) request.destroy();
		});
		request.on('end', () => {
			if (size > bodyLimit)
				return reject(new BodyTooLargeError(`the request body is larger than ${bodyLimit / 1024 / 1024} MB`));
			const text = Buffer.concat(parts).toString('utf8');
			if (!text.trim()) return resolve(undefined);
			try {
				resolve(JSON.parse(text));
			} catch {
				reject(new ValidationError('the request body is not JSON'));
			}
		});
		request.on('error', reject);
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
 * The control API: HTTP and JSON on a Unix socket (0600, in a 0700 folder), never TCP. Errors
 * are JSON `{"error": "one line"}` with a fitting status code.
 */
export const startApiServer = async (options: ApiServerOptions): Promise<Server> => {
	const { engine, socketPath } = options;
	// The kernel's limit for a socket's path (sun_path) is 108 bytes.
	if (Buffer.byteLength(socketPath) > 100)
		throw new CaoError(
			`the control socket path is too long for a Unix socket: ${socketPath} (set a shorter CAO_HOME)`,
		);
	preparePrivateHome(options.home);
	await claimSocket(socketPath);
	const info = () => ({ pid: process.pid, home: options.home, ...options.info });

	const server = createServer((request, response) => {
		// A client that hangs up mid-answer is its own business.
		response.on('error', () => {});
		const url = new URL(request.url ?? '/', 'http://cao');
		const path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
		readBody(request)
			.then((body) =>
				route({ engine, info }, { method: request.method ?? 'GET', path, query: url.searchParams, body }),
			)
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
				sendJson(response, status, {
					error: status === 500 ? `internal error: ${oneLine(error)}` : oneLine(error),
				});
			});
	});
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
	} catch (error) {
		await stopApiServer(server, socketPath);
		throw error;
	}
	return server;
};

/** Closes the server and its open event streams, and removes the socket. */
export const stopApiServer = async (server: Server, socketPath: string): Promise<void> => {
	server.closeAllConnections();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (existsSync(socketPath)) unlinkSync(socketPath);
};
