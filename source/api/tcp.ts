import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ValidationError } from '../errors.js';

/** Where the control API also listens over TCP, and the token every request there must carry. */
export type TcpListen = { host: string; port: number; token: string };

/** A token shorter than this is guessable: refused. */
export const minTokenLength = 32;

const usage = '--listen wants [HOST:]PORT (e.g. 8765, 127.0.0.1:8765, [::1]:8765)';

/**
 * `--listen` as host and port. A bare port (or `:PORT`) binds loopback only: reaching the API
 * from other machines must be asked for by naming the address.
 */
export const parseListen = (value: string): { host: string; port: number } => {
	const match =
		/^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
	const host = match?.[1] || match?.[2] || '127.0.0.1';
	const port = Number(match?.[3]);
	if (!match || port > 65535) throw new ValidationError(`${usage}, not '${value}'`);
	if (match[1] !== undefined && match[1] !== '' && isIP(match[1]) !== 6)
		throw new ValidationError(`'${match[1]}' is not an IPv6 address (${usage})`);
	if (!/^[A-Za-z0-9.-]+$/.test(host) && isIP(host) === 0)
		throw new ValidationError(`'${host}' is not a host name or address (${usage})`);
	return { host, port };
};

/**
 * The TCP listener asked for with `--listen`, or none. It needs CAO_API_TOKEN (at least 32
 * characters): a TCP port is open to every local user, and to the network when bound there.
 */
export const resolveTcpListen = (
	flag: string | undefined,
	env: NodeJS.ProcessEnv = process.env,
): TcpListen | undefined => {
	if (flag === undefined) return undefined;
	const token = env.CAO_API_TOKEN ?? '';
	if (!token)
		throw new ValidationError(
			`--listen needs a token: set CAO_API_TOKEN to a secret of at least ${minTokenLength} characters`,
		);
	if (token.length < minTokenLength)
		throw new ValidationError(
			`CAO_API_TOKEN is ${token.length} characters; --listen needs at least ${minTokenLength}`,
		);
	if (/\s/.test(token)) throw new ValidationError('CAO_API_TOKEN must not contain spaces or line breaks');
	return { ...parseListen(flag), token };
};

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether an Authorization header carries the token. Both are hashed first, so the comparison
 * takes the same time whatever the length or content of a wrong guess.
 */
export const bearerMatches = (header: string | undefined, token: string): boolean => {
	const given = /^Bearer (\S+)$/i.exec(header ?? '')?.[1] ?? '';
	return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
};
