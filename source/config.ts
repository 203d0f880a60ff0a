import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from './errors.js';
import type { McpServer } from './providers/types.js';

/** Where one engine keeps its state; everything hangs off `CAO_HOME`. */
export type Paths = {
	home: string;
	database: string;
	logs: string;
	/** Run-time files (FIFOs) that must not outlive the terminals they serve. */
	fifos: string;
	/** Per-terminal folders for generated agent config (prompt files, MCP config). */
	terminals: string;
	/** The user's agent profiles, looked up before the built-in ones. */
	agentStore: string;
	/** The control API's Unix socket. */
	socket: string;
};

export const resolvePaths = (env: NodeJS.ProcessEnv = process.env): Paths => {
	const home = env.CAO_HOME || join(homedir(), '.cao');
	return {
		home,
		database: join(home, 'cao.db'),
		logs: join(home, 'logs', 'terminal'),
		fifos: join(home, 'run', 'fifo'),
		terminals: join(home, 'terminals'),
		agentStore: join(home, 'agent-store'),
		socket: join(home, 'cao.sock'),
	};
};

/** The tmux server to use: `tmux -L NAME` when `CAO_TMUX_SOCKET` is set, else the user's default. */
export const resolveTmuxSocket = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
	env.CAO_TMUX_SOCKET || undefined;

/** How long the history of ended terminals is kept when `CAO_RETENTION_DAYS` is not set. */
export const defaultRetentionDays = 14;

/**
 * `CAO_RETENTION_DAYS`: days to keep what ended terminals leave (rows, messages, logs, folders);
 * a positive number, fractions allowed. `0` keeps them forever (leftover FIFOs still go: they
 * are run-time files, not history). Anything else is refused in one line.
 */
export const resolveRetentionDays = (
	env: Readonly<Record<string, string | undefined>> = process.env,
): number => {
	const text = env.CAO_RETENTION_DAYS?.trim();
	if (text === undefined || text === '') return defaultRetentionDays;
	const days = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
	if (!Number.isFinite(days))
		throw new ValidationError(
			`CAO_RETENTION_DAYS must be a number of days (0 keeps everything), not '${text.slice(0, 40)}'`,
		);
	return days;
};

/** The built CLI; from the TypeScript sources (tests) it is the build next to them. */
export const cliPath = fileURLToPath(
	new URL(import.meta.url.endsWith('.ts') ? '../dist/cli.js' : './cli.js', import.meta.url),
);

/**
 * The longest cao's tools may take: a handoff waits up to a day (its `timeout` maximum) plus the
 * worker's start. The CLIs' own defaults (Codex 60 s, Q 120 s, Gemini 10 min) would cut it short.
 */
export const caoToolTimeoutMs = 25 * 60 * 60 * 1000;

/** cao's MCP server as an agent of this terminal starts it: `cao-tui mcp-server`. */
export const caoMcpServer = (terminalId: string, home: string): McpServer => ({
	timeoutMs: caoToolTimeoutMs,
	command: process.execPath,
	args: [cliPath, 'mcp-server'],
	env: { CAO_TERMINAL_ID: terminalId, CAO_HOME: home },
});

const backendChoices = ['auto', 'tmux', 'pty'] as const;
export type BackendKind = Exclude<(typeof backendChoices)[number], 'auto'>;

/** Whether `program` is an executable file in a folder of PATH. */
export const onPath = (program: string, env: NodeJS.ProcessEnv = process.env): boolean =>
	(env.PATH ?? '').split(delimiter).some((folder) => {
		if (!folder) return false;
		try {
			accessSync(join(folder, program), constants.X_OK);
			return true;
		} catch {
			return false;
		}
	});

/**
 * Where terminals live: `--backend`, else `CAO_BACKEND`, else `auto` (tmux when it is on PATH,
 * else pty).
 */
export const resolveBackend = (flag?: string, env: NodeJS.ProcessEnv = process.env): BackendKind => {
	const choice = flag || env.CAO_BACKEND || 'auto';
	if (!(backendChoices as readonly string[]).includes(choice))
		throw new ValidationError(`unknown backend '${choice}': auto, tmux or pty`);
	if (choice === 'auto') return onPath('tmux', env) ? 'tmux' : 'pty';
	return choice as BackendKind;
};
