import { execFile } from 'node:child_process';
import { CaoError } from '../../errors.js';

export const tmuxErrorKinds = ['not-installed', 'no-server', 'no-target', 'failed'] as const;
export type TmuxErrorKind = (typeof tmuxErrorKinds)[number];

/** A failed tmux call; the message is tmux's own, prefixed with what we asked for. */
export class TmuxError extends CaoError {
	override readonly name = 'TmuxError';
	constructor(
		readonly kind: TmuxErrorKind,
		message: string,
		readonly args: readonly string[] = [],
	) {
		super(message);
	}
}

const classify = (stderr: string): TmuxErrorKind => {
	// "no server running on /tmp/tmux-0/default", "error connecting to /tmp/tmux-0/x (No such file…)",
	// and from a server going away mid-call: "server exited unexpectedly", "lost server"
	if (/no server running|error connecting to|server exited unexpectedly|lost server/.test(stderr)) {
		return 'no-server';
	}
	// "no current target", "no sessions": the server's last session has just gone and it is
	// exiting; nothing lives on it any more.
	if (/no current target|no sessions/.test(stderr)) return 'no-server';
	// "can't find window: @9", "can't find pane: %3", "can't find session: cao-x"
	if (/can't find (session|window|pane)/.test(stderr)) return 'no-target';
	return 'failed';
};

/**
 * tmux parses every command-line argument ending in `;` as the end of a command; `\;` keeps a
 * literal one. Our own separators are passed as the bare `;` sentinel below.
 */
export const commandSeparator = Symbol('tmux command separator');
export type TmuxArg = string | typeof commandSeparator;

const escapeArg = (arg: TmuxArg): string =>
	arg === commandSeparator ? ';' : arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;

export type TmuxRunner = {
	readonly binary: string;
	/** The `-L` socket name, or undefined for the user's default server. */
	readonly socket: string | undefined;
	run(args: readonly TmuxArg[], options?: { input?: string }): Promise<string>;
	/** argv for a long-lived tmux client of the same server (the exit waiter, attach). */
	argv(args: readonly string[]): string[];
};

export const createTmuxRunner = (socket: string | undefined, binary = 'tmux'): TmuxRunner => {
	const prefix = socket ? ['-L', socket] : [];
	return {
		binary,
		socket,
		argv: (args) => [...prefix, ...args],
		run(args, options = {}) {
			const argv = [...prefix, ...args.map(escapeArg)];
			return new Promise((resolve, reject) => {
				const child = execFile(
					binary,
					argv,
					{ encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
					(error, stdout, stderr) => {
						if (!error) return resolve(stdout);
						const code = (error as NodeJS.ErrnoException).code;
						if (code === 'ENOENT') {
							return reject(
								new TmuxError('not-installed', 'tmux is not installed (not found on PATH)', argv),
							);
						}
						const detail = stderr.trim().split('\n')[0] || error.message.split('\n')[0] || 'failed';
						const verb = args.find((arg): arg is string => typeof arg === 'string') ?? '';
						reject(new TmuxError(classify(detail), `tmux ${verb}: ${detail}`, argv));
					},
				);
				// An unread stdin must not keep tmux waiting; ENOENT surfaces through the callback.
				child.stdin?.on('error', () => {});
				child.stdin?.end(options.input ?? '');
			});
		},
	};
};
