import { existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../source/engine/engine.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { describeWithTmux } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';

describeWithTmux('an engine whose log disk is full', () => {
	let first: TestEngine | undefined;
	let next: Engine | undefined;
	const rejections: unknown[] = [];
	const onRejection = (reason: unknown) => rejections.push(reason);
	afterEach(async () => {
		process.off('unhandledRejection', onRejection);
		await next?.stop();
		await first?.dispose();
		[first, next] = [undefined, undefined];
	});

	it('warns once, keeps detecting statuses and publishing output, and logs again once it can', async () => {
		process.on('unhandledRejection', onRejection);
		first = await startTestEngine();
		const terminal = await first.engine.terminals.create({ provider: 'fake' });
		await first.engine.stop();
		// The agent runs on in tmux; its log is now a link to /dev/full, where writes fail with
		// ENOSPC, and the next engine takes the terminal over.
		const log = first.engine.logWriter.pathOf(terminal.id);
		rmSync(log, { force: true });
		symlinkSync('/dev/full', log);

		next = createEngine({
			paths: first.sandbox.paths,
			tmuxSocket: first.sandbox.socket,
			env: { ...process.env, FAKE_AGENT_THINK_MS: '300' },
		});
		const engine = next;
		const warnings: string[] = [];
		const statuses: string[] = [];
		let output = '';
		engine.bus.on('engine.warning', ({ message }) => warnings.push(message));
		engine.bus.on(`terminal.${terminal.id}.status`, ({ status }) => statuses.push(status));
		engine.bus.on(`terminal.${terminal.id}.output`, ({ data }) => {
			output += data;
		});
		await engine.start();

		/** One turn, judged by the status monitor from the output; then the log gets its flush. */
		const turn = async (text: string) => {
			const turns = statuses.filter((status) => status === 'completed').length;
			await engine.terminals.sendInput(terminal.id, text);
			await waitFor(() => statuses.filter((status) => status === 'completed').length > turns, {
				what: `the turn '${text}'`,
				state: () => statuses.join(' '),
			});
			await engine.logWriter.flush();
		};
		await turn('while the disk is full');
		await turn('still full');
		expect(output).toContain('Echo: still full');
		expect(warnings).toEqual([
			`log for terminal ${terminal.id} not written: ENOSPC: no space left on device, write (logging resumes when writes succeed)`,
		]);

		// Space again: the next flush writes a plain file.
		rmSync(log);
		await turn('space again');
		expect(existsSync(log)).toBe(true);
		expect(readFileSync(log, 'utf8')).toContain('Echo: space again');
		expect(readFileSync(log, 'utf8')).not.toContain('still full');
		expect(warnings).toHaveLength(1);
		expect(engine.terminals.list().map((record) => record.id)).toEqual([terminal.id]);
		expect(rejections).toEqual([]);
	}, 30_000);
});
