import { randomBytes } from 'node:crypto';
import { followEvents, requestEngine } from '../api/client.js';
import { resolvePaths } from '../config.js';
import type { TerminalRecord } from '../engine/store/terminal-repository.js';
import { runTurn, turnSignalOf } from '../engine/terminals/turn-end.js';
import { CaoError, ValidationError } from '../errors.js';
import { formatTable } from './table.js';

/** The commands that talk to a running engine over its control socket. */

type Write = (text: string) => void;

const call = (method: string, path: string, body?: unknown) =>
	requestEngine(resolvePaths().socket, method, path, body);

const terminalPath = (id: string) => `/terminals/${encodeURIComponent(id)}`;

/** "K=V" pairs as an environment; one line for a malformed one. */
export const parseEnvPairs = (pairs: readonly string[]): Record<string, string> =>
	Object.fromEntries(
		pairs.map((pair) => {
			const at = pair.indexOf('=');
			if (at < 1) throw new ValidationError(`--env wants NAME=VALUE, not '${pair}'`);
			return [pair.slice(0, at), pair.slice(at + 1)];
		}),
	);

export type LaunchFlags = {
	agents: string;
	provider?: string;
	session?: string;
	workingDirectory?: string;
	env: readonly string[];
	headless?: string;
	wait: boolean;
	json: boolean;
};

/** Sends the input and resolves with the reply once the turn is over (completed, error, a question). */
const sendAndWait = async (id: string, text: string): Promise<string> => {
	await runTurn({
		follow: async (onSignal) => {
			const stream = await followEvents(resolvePaths().socket, (event) => {
				const signal = turnSignalOf(id, event);
				if (signal) onSignal(signal);
			});
			return () => stream.close();
		},
		send: async () => {
			await call('POST', `${terminalPath(id)}/input`, { text });
		},
	});
	return ((await call('GET', `${terminalPath(id)}/output?mode=last`)) as { output: string }).output;
};

/**
 * `cao-tui launch --agents A[,B…]`: one terminal per profile, all in one session (the env vars
 * apply to each). With --headless MESSAGE the first gets MESSAGE; --wait prints its reply.
 */
export const launch = async (flags: LaunchFlags, write: Write): Promise<void> => {
	const profiles = flags.agents
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean);
	if (profiles.length === 0) throw new ValidationError('launch needs --agents PROFILE');
	if (flags.wait && flags.headless === undefined)
		throw new ValidationError('--wait goes with --headless MESSAGE');
	const env = parseEnvPairs(flags.env);
	// Several agents share a session; one gets a session of its own, named after it.
	const session =
		flags.session ?? (profiles.length > 1 ? `launch-${randomBytes(3).toString('hex')}` : undefined);
	const created: TerminalRecord[] = [];
	for (const profile of profiles) {
		const record = (await call('POST', '/terminals', {
			profile,
			...(flags.provider ? { provider: flags.provider } : {}),
			...(session ? { session } : {}),
			...(flags.workingDirectory ? { workingDirectory: flags.workingDirectory } : {}),
			...(Object.keys(env).length > 0 ? { env } : {}),
		})) as TerminalRecord;
		created.push(record);
		write(
			flags.json
				? `${JSON.stringify(record)}\n`
				: `${record.id}  ${record.session}:${record.window}  ${record.provider}  ${record.lastStatus}\n`,
		);
	}
	const [first] = created;
	if (first && flags.headless !== undefined) {
		if (flags.wait) write(`${await sendAndWait(first.id, flags.headless)}\n`);
		else await call('POST', `${terminalPath(first.id)}/input`, { text: flags.headless });
	}
};

/** `cao-tui send TERMINAL TEXT`: input, as typed, then Enter. */
export const send = async (id: string, text: string, write: Write) => {
	await call('POST', `${terminalPath(id)}/input`, { text });
	write(`sent to ${id}\n`);
};

/** `cao-tui message TERMINAL TEXT`: into its inbox, delivered when it is ready. */
export const message = async (id: string, text: string, write: Write) => {
	// From an agent's own terminal, the message is that agent's; from a shell, the user's.
	const senderId = process.env.CAO_TERMINAL_ID || 'user';
	const queued = (await call('POST', '/inbox', { senderId, receiverId: id, message: text })) as {
		id: number;
	};
	write(`queued message ${queued.id} for ${id}\n`);
};

const age = (since: number) => {
	const seconds = Math.max(0, Math.round((Date.now() - since) / 1000));
	return seconds < 120
		? `${seconds}s`
		: seconds < 7200
			? `${Math.round(seconds / 60)}m`
			: `${Math.round(seconds / 3600)}h`;
};

/**
 * `cao-tui status TERMINAL [--json]`: one terminal's status and why (the rule that decided and
 * the screen line it matched), as the panel's `e` shows it.
 */
const explainStatus = async (terminalId: string, json: boolean, write: Write) => {
	const found = (await call('GET', `/terminals/${encodeURIComponent(terminalId)}/status`)) as {
		status: string;
		rule?: string;
		line?: string;
		at?: number;
	};
	if (json) return write(`${JSON.stringify({ terminalId, ...found })}\n`);
	write(`${terminalId}: ${found.status}${found.at ? ` for ${age(found.at)}` : ''}\n`);
	write(`rule: ${found.rule || '-'}\nline: ${found.line?.trim() || '-'}\n`);
};

/** `cao-tui kill TERMINAL`: deletes one terminal (its agent and window end), as the panel's `x`. */
export const kill = async (terminalId: string, write: Write) => {
	await call('DELETE', `/terminals/${encodeURIComponent(terminalId)}`);
	write(`killed ${terminalId}\n`);
};

/** `cao-tui status [TERMINAL] [--json]`: every live terminal with its status, or why one has its. */
export const status = async (json: boolean, write: Write, terminalId?: string) => {
	if (terminalId) return explainStatus(terminalId, json, write);
	const terminals = (await call('GET', '/terminals')) as TerminalRecord[];
	if (json) return write(`${JSON.stringify(terminals)}\n`);
	if (terminals.length === 0) return write('no terminals\n');
	const rows = terminals.map((record) => [
		record.id,
		record.session,
		record.profile ?? '-',
		record.provider,
		record.lastStatus,
		age(record.lastActiveAt),
	]);
	write(formatTable(['ID', 'SESSION', 'PROFILE', 'PROVIDER', 'STATUS', 'ACTIVE'], rows));
};

/** `cao-tui shutdown --session NAME | --all`: deletes the terminals (their windows go). */
export const shutdown = async (flags: { session?: string; all: boolean }, write: Write) => {
	if (!flags.session && !flags.all) throw new ValidationError('shutdown needs --session NAME or --all');
	const sessions = flags.all
		? ((await call('GET', '/sessions')) as { name: string }[]).map((session) => session.name)
		: [flags.session as string];
	let removed = 0;
	for (const name of sessions)
		removed += ((await call('DELETE', `/sessions/${encodeURIComponent(name)}`)) as { removed: number })
			.removed;
	if (flags.session && removed === 0) throw new CaoError(`no terminals in session '${flags.session}'`);
	write(`removed ${removed} terminal${removed === 1 ? '' : 's'}\n`);
};
