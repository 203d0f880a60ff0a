import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { EventMap } from '../../../source/engine/events.js';
import { fifoWriterPid } from '../../helpers/fifo-writer.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { describeWithTmux } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';

describeWithTmux('a terminal whose output pipe dies [tmux only: pty output needs no pipe]', () => {
	let t: TestEngine | undefined;
	afterEach(async () => {
		await t?.dispose();
		t = undefined;
	});

	it('is read again at once, with a warning, and its turns are judged as before', async () => {
		t = await startTestEngine();
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		const writer = fifoWriterPid(join(t.sandbox.paths.fifos, `${terminal.id}.fifo`));
		expect(writer).toBeDefined();
		process.kill(writer ?? 0, 'SIGKILL');
		const warned = () =>
			t?.events.some(
				(event) =>
					event.topic === 'engine.warning' &&
					(event as EventMap['engine.warning']).message.includes(`terminal ${terminal.id}: its output pipe`),
			);
		await waitFor(warned, { what: 'the warning' });
		const before = t.statuses(terminal.id).length;
		await t.engine.terminals.sendInput(terminal.id, 'still there');
		await waitFor(() => t?.statuses(terminal.id).slice(before).includes('completed'), {
			what: 'the turn through the new pipe',
		});
		expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe('Echo: still there');
	});
});
