import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { type BackendKind, type Paths, resolvePaths } from '../../source/config.js';

export const hasTmux = (() => {
	try {
		execFileSync('tmux', ['-V'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();

export type Sandbox = {
	/** A fresh CAO_HOME. */
	home: string;
	paths: Paths;
	/** A private tmux server (`tmux -L`) for this test only. */
	socket: string;
	/** Environment for child processes: CAO_HOME, CAO_TMUX_SOCKET and CAO_BACKEND set. */
	env: NodeJS.ProcessEnv;
	tmux(...args: string[]): string;
	dispose(): void;
};

/**
 * A temp CAO_HOME and a private tmux socket, for engines on `backend` (default tmux where it is
 * installed, else pty); `dispose` kills that server and removes the folder.
 */
export const createSandbox = (backend: BackendKind = hasTmux ? 'tmux' : 'pty'): Sandbox => {
	const home = mkdtempSync(join(tmpdir(), 'cao-test-'));
	const socket = `cao-test-${process.pid}-${randomBytes(3).toString('hex')}`;
	const env = { ...process.env, CAO_HOME: home, CAO_TMUX_SOCKET: socket, CAO_BACKEND: backend };
	const tmux = (...args: string[]) =>
		execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	return {
		home,
		paths: resolvePaths(env),
		socket,
		env,
		tmux,
		dispose() {
			try {
				tmux('kill-server');
			} catch {
				// No server was started, or it is gone already.
			}
			rmSync(home, { recursive: true, force: true });
		},
	};
};

/** Names of the windows on the sandbox's tmux server, or none when it is not running. */
export const windowNames = (sandbox: Sandbox): string[] => {
	try {
		return sandbox.tmux('list-windows', '-a', '-F', '#{window_name}').split('\n').filter(Boolean);
	} catch {
		return [];
	}
};

const skipNote = ' [skipped: tmux is not installed]';

/** A suite that needs tmux: skipped, saying why, where tmux is missing. */
export const describeWithTmux = (name: string, body: () => void) =>
	hasTmux ? describe(name, body) : describe.skip(`${name}${skipNote}`, body);

/** A test that needs tmux: skipped, saying why, where tmux is missing. */
export const itWithTmux = (name: string, body: () => Promise<void>, timeout?: number) =>
	hasTmux ? it(name, body, timeout) : it.skip(`${name}${skipNote}`, body);

/**
 * A suite run once on each backend: tmux (skipped, saying why, where tmux is missing) and pty. The
 * body gets the backend's name for its engines and sandboxes.
 */
export const describeEachBackend = (name: string, body: (backend: BackendKind) => void) => {
	for (const backend of ['tmux', 'pty'] as const) {
		const title = `${name} [${backend}]`;
		if (backend === 'tmux' && !hasTmux) describe.skip(`${title}${skipNote}`, () => body(backend));
		else describe(title, () => body(backend));
	}
};

/** A test of tmux's own behaviour in a `describeEachBackend` body: skipped on pty, saying so. */
export const itTmuxOnly =
	(backend: BackendKind) =>
	(name: string, body: () => Promise<void>, timeout?: number): void =>
		backend === 'tmux' ? it(name, body, timeout) : it.skip(`${name} [tmux only]`, body);
