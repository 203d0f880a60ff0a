import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where one engine keeps its state; everything hangs off `CAO_HOME`. */
export type Paths = {
	home: string;
	database: string;
	logs: string;
	/** Run-time files (FIFOs) that must not outlive the terminals they serve. */
	fifos: string;
};

export const resolvePaths = (env: NodeJS.ProcessEnv = process.env): Paths => {
	const home = env.CAO_HOME || join(homedir(), '.cao');
	return {
		home,
		database: join(home, 'cao.db'),
		logs: join(home, 'logs', 'terminal'),
		fifos: join(home, 'run', 'fifo'),
	};
};

/** The tmux server to use: `tmux -L NAME` when `CAO_TMUX_SOCKET` is set, else the user's default. */
export const resolveTmuxSocket = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
	env.CAO_TMUX_SOCKET || undefined;
