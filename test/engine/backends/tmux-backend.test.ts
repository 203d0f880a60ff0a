import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTmuxBackend } from '../../../source/engine/backends/tmux-backend.js';
import { createTmuxRunner } from '../../../source/engine/backends/tmux.js';
import { createSandbox, describeWithTmux, type Sandbox } from '../../helpers/sandbox.js';

const sessions = (sandbox: Sandbox) => {
	try {
		return sandbox.tmux('list-sessions', '-F', '#{session_name}').split('\n').filter(Boolean).sort();
	} catch {
		return [];
	}
};

describeWithTmux('tmux backend watcher', () => {
	let sandbox: Sandbox;
	beforeEach(() => {
		sandbox = createSandbox();
	});
	afterEach(() => sandbox.dispose());

	const backend = () =>
		createTmuxBackend({
			tmux: createTmuxRunner(sandbox.socket),
			fifoDir: sandbox.paths.fifos,
			warn: (message) => {
				throw new Error(message);
			},
		});

	it('leaves other sessions alone and takes its own control session with it', async () => {
		// Sessions nobody is attached to, as agents' sessions are after a restart of the engine.
		sandbox.tmux('new-session', '-d', '-s', 'cao-bystander');
		sandbox.tmux('new-session', '-d', '-s', 'users-own');
		for (let round = 0; round < 3; round++) {
			const engineBackend = backend();
			await engineBackend.start();
			expect(sessions(sandbox)).toEqual([`_cao-ctl-${process.pid}`, 'cao-bystander', 'users-own']);
			expect(await engineBackend.listSessions()).toEqual(['cao-bystander']);
			await engineBackend.stop();
			expect(sessions(sandbox)).toEqual(['cao-bystander', 'users-own']);
		}
	});
});
