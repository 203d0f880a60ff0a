import { spawn } from 'node:child_process';
import { resolveTmuxSocket } from '../config.js';
import { tmuxTarget } from '../engine/backends/tmux-backend.js';
import { CaoError } from '../errors.js';
import { readLiveTerminal } from './live-terminal.js';

/**
 * `cao-tui attach TERMINAL`: the terminal's tmux window, in this terminal (inside tmux, the client
 * switches to it). Reads the database, so it works with no engine running.
 */
export const attach = async (terminalId: string): Promise<void> => {
	const target = tmuxTarget(readLiveTerminal(terminalId));
	const socket = resolveTmuxSocket();
	const args = [
		...(socket ? ['-L', socket] : []),
		process.env.TMUX ? 'switch-client' : 'attach-session',
		'-t',
		target,
	];
	const code = await new Promise<number>((resolve, reject) => {
		const child = spawn('tmux', args, { stdio: 'inherit' });
		child.on('error', (error: NodeJS.ErrnoException) =>
			reject(error.code === 'ENOENT' ? new CaoError('tmux is not installed (not found on PATH)') : error),
		);
		child.on('exit', (exitCode) => resolve(exitCode ?? 1));
	});
	if (code !== 0) throw new CaoError(`tmux could not attach to ${target} (exit ${code})`);
};
