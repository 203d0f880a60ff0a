import { request } from 'node:http';
import { CaoError } from '../errors.js';

/** An answer of the engine that is not a success, with its message. */
export class EngineError extends CaoError {
	constructor(
		message: string,
		readonly status: number,
	) {
		super(message);
	}
}

/** No engine listens on the socket: say how to start one. */
export class NoEngineError extends CaoError {}

/** A socket that is missing or refuses: no engine runs; say how to start one. */
const connectionError = (error: NodeJS.ErrnoException): Error =>
	error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
		? new NoEngineError(
				'no engine is running for this CAO_HOME: start one with `cao-tui` or `cao-tui --no-ui`',
			)
		: error;

/** One JSON request to the engine's control socket; resolves with the answer's JSON body. */
export const requestEngine = (
	socketPath: string,
	method: string,
	path: string,
	body?: unknown,
): Promise<unknown> =>
	new Promise((resolve, reject) => {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		const call = request(
			{
				socketPath,
				// A connection per request: none is left pooled when the engine goes away.
				agent: false,
				method,
				path,
				headers: payload
					? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
					: {},
			},
			(response) => {
				const parts: Buffer[] = [];
				response.on('data', (part: Buffer) => parts.push(part));
				response.on('end', () => {
					const text = Buffer.concat(parts).toString('utf8');
					let json: unknown;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						return reject(
							new CaoError(`the engine answered something that is not JSON (${response.statusCode})`),
						);
					}
					const status = response.statusCode ?? 500;
					if (status >= 400)
						return reject(new EngineError((json as { error?: string })?.error ?? `error ${status}`, status));
					resolve(json);
				});
			},
		);
		call.on('error', (error: NodeJS.ErrnoException) => reject(connectionError(error)));
		if (payload) call.write(payload);
		call.end();
	});

/**
 * Follows the engine's event stream (NDJSON); resolves once the stream is open. `close()` ends
 * it. Every event but raw output, as `{ topic, ...payload }`.
 */
export const followEvents = (
	socketPath: string,
	onEvent: (event: { topic: string } & Record<string, unknown>) => void,
): Promise<{ close(): void }> =>
	new Promise((resolve, reject) => {
		const call = request({ socketPath, path: '/events', agent: false }, (response) => {
			let pending = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				const lines = (pending + chunk).split('\n');
				pending = lines.pop() ?? '';
				for (const line of lines) if (line.trim()) onEvent(JSON.parse(line) as { topic: string });
			});
			resolve({ close: () => call.destroy() });
		});
		call.on('error', (error: NodeJS.ErrnoException) => reject(connectionError(error)));
		call.end();
	});
