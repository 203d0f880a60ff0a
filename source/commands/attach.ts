import { spawn } from 'node:child_process';
import { requestEngine } from '../api/client.js';
import { resolvePaths, resolveTmuxSocket } from '../config.js';
import type { TerminalRef } from '../engine/backends/types.js';
import { tmuxTarget } from '../engine/backends/tmux-backend.js';
import { CaoError } from '../errors.js';
import { readLiveTerminal } from './live-terminal.js';

/**
 * Whether this process runs inside a client of the agents' tmux server (`$TMUX` is
 * "socket-path,pid,session"; a server started with `-L NAME` has a socket named NAME).
 */
const insideServer = (socket: string | undefined, tmux = process.env.TMUX): boolean =>
	Boolean(tmux) && (tmux?.split(',')[0] ?? '').endsWith(`/${socket ?? 'default'}`);

/**
 * The terminal's tmux window in this terminal until the user detaches. Inside a client of the
 * same server the client switches to it instead (and returns at once); inside another tmux
 * server, a nested client is attached.
 */
export const attachWindow = async (ref: Pick<TerminalRef, 'session' | 'window'>): Promise<void> => {
	const target = tmuxTarget(ref);
	const socket = resolveTmuxSocket();
	const switching = insideServer(socket);
	const args = [
		...(socket ? ['-L', socket] : []),
		switching ? 'switch-client' : 'attach-session',
		'-t',
		target,
	];
	const env = { ...process.env };
	if (!switching) delete env.TMUX;
	const code = await new Promise<number>((resolve, reject) => {
		const child = spawn('tmux', args, { stdio: 'inherit', env });
		child.on('error', (error: NodeJS.ErrnoException) =>
			reject(error.code === 'ENOENT' ? new CaoError('tmux is not installed (not found on PATH)') : error),
		);
		child.on('exit', (exitCode) => resolve(exitCode ?? 1));
	});
	if (code !== 0) throw new CaoError(`tmux could not attach to ${target} (exit ${code})`);
};

/**
 * `cao-tui attach TERMINAL`: the terminal's tmux window, in this terminal. Reads the database, so
 * it works with no engine running; a terminal of a pty engine lives in that engine's process,
 * where only its panel can attach.
 */
export const attach = async (terminalId: string): Promise<void> => {
	const record = readLiveTerminal(terminalId);
	const health = (await requestEngine(resolvePaths().socket, 'GET', '/health').catch(() => undefined)) as
		{ backend?: string } | undefined;
	if (health?.backend === 'pty')
		throw new CaoError(
			`terminal ${terminalId} runs inside the engine (pty backend): attach from its panel (Enter, then Ctrl-] to come back)`,
		);
	await attachWindow(record);
};
