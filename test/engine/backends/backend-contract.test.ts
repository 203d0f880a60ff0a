import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPtyBackend } from '../../../source/engine/backends/pty-backend.js';
import { createTmuxBackend } from '../../../source/engine/backends/tmux-backend.js';
import { createTmuxRunner } from '../../../source/engine/backends/tmux.js';
import type { TerminalBackend, TerminalSpec } from '../../../source/engine/backends/types.js';
import { fakeAgentScript } from '../../../source/providers/fake.js';
import { createSandbox, hasTmux, type Sandbox } from '../../helpers/sandbox.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * What the engine needs of a backend, checked on both: tmux (a private server) and node-pty.
 * Real processes: the fake agent CLI and node itself.
 */
const backends = [...(hasTmux ? (['tmux'] as const) : []), 'pty' as const];
if (!hasTmux) describe.skip('backend contract on tmux [skipped: tmux is not installed]', () => {});

describe.each(backends)('%s backend contract', (kind) => {
	let sandbox: Sandbox;
	let backend: TerminalBackend;
	let warnings: string[];

	beforeEach(async () => {
		sandbox = createSandbox();
		warnings = [];
		const warn = (message: string) => warnings.push(message);
		backend =
			kind === 'tmux'
				? createTmuxBackend({ tmux: createTmuxRunner(sandbox.socket), fifoDir: sandbox.paths.fifos, warn })
				: createPtyBackend({ warn, killGraceMs: 500 });
		await backend.start();
	});

	afterEach(async () => {
		await backend.stop();
		sandbox.dispose();
		expect(warnings).toEqual([]);
	});

	/** A terminal whose output and exit are recorded. */
	const open = async (command: string[], extra: Partial<TerminalSpec> = {}) => {
		const terminalId = randomBytes(4).toString('hex');
		const spec: TerminalSpec = {
			terminalId,
			session: `cao-${terminalId}`,
			window: `w-${terminalId}`,
			command,
			workingDirectory: tmpdir(),
			env: {},
			...extra,
		};
		let output = '';
		let exitReason: string | undefined;
		await backend.create(spec, {
			output: (data) => {
				output += data;
			},
			exited: (reason) => {
				exitReason = reason;
			},
			resumed: () => {
				throw new Error('no output was lost');
			},
		});
		return { spec, output: () => output, exitReason: () => exitReason };
	};

	it('runs the fake agent: output from its first byte, paste and keys, a rendered screen', async () => {
		const agent = await open([process.execPath, fakeAgentScript, '--think-ms', '50']);
		await waitFor(() => agent.output().includes('❯'), { what: 'the prompt', state: agent.output });
		await waitFor(async () => (await backend.capture(agent.spec)).includes('❯'), {
			what: 'the prompt on screen',
		});
		await backend.paste(agent.spec, 'hello backend');
		await backend.sendKeys(agent.spec, ['Enter']);
		await waitFor(async () => (await backend.capture(agent.spec)).includes('● Echo: hello backend'), {
			what: 'the reply on screen',
		});
		const screen = await backend.capture(agent.spec);
		// Rendered: no escape sequences, the banner and the reply in their rows.
		expect(screen).not.toContain('\x1b');
		expect(screen).toMatch(/^╭─+╮$/m);
		expect(await backend.listWindows()).toContainEqual({
			session: agent.spec.session,
			window: agent.spec.window,
		});
	});

	it('gives the program its environment and folder, without the names it must not inherit', async () => {
		const folder = realpathSync(mkdtempSync(join(tmpdir(), 'cao-contract-')));
		const script =
			'process.stdout.write([process.env.GREETING, process.cwd(), process.env.HIDDEN ?? "unset"].join("|") + "\\n"); setTimeout(() => {}, 60000)';
		process.env.HIDDEN = 'leaked';
		try {
			const probe = await open([process.execPath, '-e', script], {
				env: { GREETING: 'semicolon; $(not run)' },
				workingDirectory: folder,
				unsetEnv: ['HIDDEN'],
			});
			await waitFor(() => probe.output().includes(`semicolon; $(not run)|${folder}|unset`), {
				what: 'the probe line',
				state: probe.output,
			});
		} finally {
			delete process.env.HIDDEN;
		}
	});

	it('reports an exit with its reason, and destroy ends a program that ignores SIGTERM', async () => {
		const quitter = await open([process.execPath, '-e', 'setTimeout(() => process.exit(3), 200)']);
		await waitFor(() => quitter.exitReason(), { what: 'the exit' });
		if (kind === 'pty') expect(quitter.exitReason()).toBe('exited with code 3');
		const stubborn = await open([
			process.execPath,
			'-e',
			'process.on("SIGTERM", () => {}); process.on("SIGHUP", () => {}); setInterval(() => {}, 1000)',
		]);
		await backend.destroy(stubborn.spec);
		expect(await backend.listWindows()).not.toContainEqual({
			session: stubborn.spec.session,
			window: stubborn.spec.window,
		});
		await expect(backend.capture(stubborn.spec)).rejects.toThrow();
	});

	it('pastes bracketed only for a program that asked for bracketed paste', async () => {
		// Echoes what it reads, as hex, after turning bracketed paste on when told to, then says so.
		const script = (bracketed: boolean) =>
			`${bracketed ? 'process.stdout.write("\\x1b[?2004h");' : ''} process.stdin.setRawMode(true); process.stdin.on("data", (d) => process.stdout.write("[" + d.toString("hex") + "]")); process.stdout.write("reading\\n");`;
		for (const bracketed of [true, false]) {
			const reader = await open([process.execPath, '-e', script(bracketed)]);
			await waitFor(() => reader.output().includes('reading'), { what: 'the reader to read' });
			await backend.paste(reader.spec, 'ab');
			const hex = Buffer.from(bracketed ? '\x1b[200~ab\x1b[201~' : 'ab').toString('hex');
			await waitFor(() => reader.output().replace(/\]\[/g, '').includes(hex), {
				what: `the ${bracketed ? 'bracketed' : 'raw'} paste`,
				state: reader.output,
			});
		}
	});

	it('delivers staged input step by step, telling how far each delivery got', async () => {
		// Echoes what it reads, as hex.
		const script =
			'process.stdin.setRawMode(true); process.stdin.on("data", (d) => process.stdout.write("[" + d.toString("hex") + "]")); process.stdout.write("reading\\n");';
		const reader = await open([process.execPath, '-e', script]);
		const other = await open([process.execPath, '-e', script]);
		await waitFor(() => reader.output().includes('reading'), { what: 'the reader to read' });
		const taken = () => reader.output().replace(/\]\[/g, '');
		await backend.stage(reader.spec, 'staged text');
		await backend.stage(other.spec, 'dropped');
		expect(await backend.staged()).toEqual(
			new Map([
				[reader.spec.terminalId, 'staged'],
				[other.spec.terminalId, 'staged'],
			]),
		);
		expect(taken()).not.toContain(Buffer.from('staged').toString('hex'));
		await backend.dropStaged(other.spec);
		await backend.pasteStaged(reader.spec);
		await waitFor(() => taken().includes(Buffer.from('staged text').toString('hex')), { what: 'the paste' });
		expect(await backend.staged()).toEqual(new Map([[reader.spec.terminalId, 'pasted']]));
		await backend.submitStaged(reader.spec, ['Enter']);
		await waitFor(() => taken().endsWith('0d]'), { what: 'the Enter', state: taken });
		expect(await backend.staged()).toEqual(new Map());
		expect(other.output()).not.toContain(Buffer.from('dropped').toString('hex'));
	});
});

describe('pty backend screens', () => {
	it('makes a screen when first read, from the newest output it kept', async () => {
		const warnings: string[] = [];
		const backend = createPtyBackend({ warn: (message) => warnings.push(message), tailLimit: 4096 });
		await backend.start();
		try {
			const terminalId = randomBytes(4).toString('hex');
			const spec: TerminalSpec = {
				terminalId,
				session: `cao-${terminalId}`,
				window: `w-${terminalId}`,
				// 400 numbered lines (about 10 KB, more than the 4 KB kept), then it waits.
				command: [
					process.execPath,
					'-e',
					'for (let i = 1; i <= 400; i++) process.stdout.write(`line ${i}\\r\\n`); setInterval(() => {}, 1000);',
				],
				workingDirectory: tmpdir(),
				env: {},
			};
			let output = '';
			await backend.create(spec, { output: (data) => (output += data), exited: () => {}, resumed: () => {} });
			await waitFor(() => output.includes('line 400'), { what: 'the last line' });
			const screen = await backend.capture(spec, { history: true });
			// The newest lines are on it; the first ones were dropped with the oldest output.
			expect(screen).toMatch(/^line 400$/m);
			expect(screen).not.toMatch(/^line 1$/m);
			// Without the scrollback: the visible rows, the end of that same screen.
			expect(await backend.capture(spec)).toBe(screen.split('\n').slice(-51).join('\n'));
		} finally {
			await backend.stop();
		}
		expect(warnings).toEqual([]);
	});
});
