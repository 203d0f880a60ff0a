import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createEngine } from '../../../source/engine/engine.js';
import { openDatabase } from '../../../source/engine/store/database.js';
import { createTerminalRepository } from '../../../source/engine/store/terminal-repository.js';
import { CaoError } from '../../../source/errors.js';
import { fakeProvider } from '../../../source/providers/fake.js';
import { endedOnItsOwn, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { describeEachBackend, itTmuxOnly } from '../../helpers/sandbox.js';
import { nextEvent, waitFor } from '../../helpers/wait-for.js';

describeEachBackend('terminal service', (backend) => {
	const tmuxOnly = itTmuxOnly(backend);
	let t: TestEngine;
	beforeEach(async () => {
		t = await startTestEngine({ backend });
	});
	afterEach(async () => {
		await t.dispose();
	});

	it('takes a fake agent through unknown → idle → processing → completed and extracts the reply', async () => {
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		expect(terminal.lastStatus).toBe('idle');
		expect(t.statuses(terminal.id)).toEqual(['idle']);
		const idle = t.events.find((event) => event.topic === `terminal.${terminal.id}.status`);
		expect(idle).toMatchObject({ previous: 'unknown', rule: 'fake.prompt', line: '❯' });

		const completed = nextEvent(
			t.engine.bus,
			`terminal.${terminal.id}.status`,
			(e) => e.status === 'completed',
		);
		await t.engine.terminals.sendInput(terminal.id, 'hello there');
		expect(await completed).toMatchObject({ previous: 'processing', line: '● Echo: hello there' });
		expect(t.statuses(terminal.id)).toEqual(['idle', 'processing', 'completed']);
		expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe('Echo: hello there');
		expect(await t.engine.terminals.getOutput(terminal.id, 'full')).toContain('Fake Agent');

		// The agent redraws its prompt line (Ctrl-L typed by someone attached): on its own that screen
		// reads as idle, so only the latch keeps completed. The repaint is the first chunk after
		// quiet, so detection runs on it at once (the monitor's handler runs before ours); the next
		// turn's sequence shows any flap.
		const repainted = nextEvent(t.engine.bus, `terminal.${terminal.id}.output`, (e) =>
			e.data.includes('\x1b[2K❯'),
		);
		await t.engine.backend.sendKeys({ terminalId: terminal.id, ...terminal }, ['C-l']);
		await repainted;
		const buffer = t.engine.monitor.getBuffer(terminal.id) ?? '';
		expect(fakeProvider.detect(buffer, { afterInput: false, profile: null }).status).toBe('idle');
		expect(t.engine.monitor.getStatus(terminal.id)?.status).toBe('completed');

		// A second turn goes through the same sequence.
		const again = nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
		await t.engine.terminals.sendInput(terminal.id, 'second\nturn');
		await again;
		expect(t.statuses(terminal.id)).toEqual(['idle', 'processing', 'completed', 'processing', 'completed']);
		expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe('Echo: second turn');
	});

	it('answers a first-run dialog drawn in one piece, once the agent can take the key', async () => {
		const terminal = await t.engine.terminals.create({
			provider: 'fake',
			env: { FAKE_AGENT_TRUST_DIALOG: '1' },
		});
		expect(terminal.lastStatus).toBe('idle');
		expect(t.statuses(terminal.id)).toEqual(['waiting_user_answer', 'idle']);
	});

	it('detects a permission question, an error and an exit', async () => {
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		const status = (wanted: string) =>
			nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === wanted);

		const waiting = status('waiting_user_answer');
		await t.engine.terminals.sendInput(terminal.id, '!ask');
		expect((await waiting).line).toContain('(y/n)');
		const granted = status('completed');
		await t.engine.terminals.sendKeys(terminal.id, ['y']);
		await granted;
		expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe(
			'Permission granted: wrote notes.txt',
		);

		const failed = status('error');
		await t.engine.terminals.sendInput(terminal.id, '!error');
		expect((await failed).line).toBe('✗ Error: simulated failure');

		const exited = nextEvent(t.engine.bus, `terminal.${terminal.id}.exited`);
		await t.engine.terminals.sendInput(terminal.id, '!exit');
		expect((await exited).reason).toMatch(endedOnItsOwn);
		expect(t.fifos()).toEqual([]);
		expect(() => t.engine.terminals.get(terminal.id)).toThrow(`unknown terminal '${terminal.id}'`);
	});

	it('does not flap while a long reply streams or pauses mid-reply', async () => {
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		for (const input of ['!long', '!pause']) {
			const done = nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
			await t.engine.terminals.sendInput(terminal.id, input);
			await done;
		}
		expect(t.statuses(terminal.id)).toEqual(['idle', 'processing', 'completed', 'processing', 'completed']);
		const reply = await t.engine.terminals.getOutput(terminal.id, 'last');
		expect(reply).toBe('First half of the answer,\nand the second half.');
	});

	it('creates 20 terminals in parallel, all reaching idle, then streams all twenty at once', async () => {
		const created = await Promise.all(
			Array.from({ length: 20 }, () => t.engine.terminals.create({ provider: 'fake', session: 'crowd' })),
		);
		expect(new Set(created.map((terminal) => terminal.id)).size).toBe(20);
		for (const terminal of created) expect(t.engine.monitor.getStatus(terminal.id)?.status).toBe('idle');
		expect((await t.windows()).filter((name) => name.startsWith('fake-'))).toHaveLength(20);
		// All twenty stream long replies at once: each turn must complete, none starved or flapping.
		const turns = created.map((terminal) =>
			nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed', 20_000),
		);
		await Promise.all(created.map((terminal) => t.engine.terminals.sendInput(terminal.id, '!long')));
		await Promise.all(turns);
		for (const terminal of created) {
			expect(t.statuses(terminal.id)).toEqual(['idle', 'processing', 'completed']);
			expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toMatch(
				/^Here is a long answer[\s\S]*End of the long answer\.$/,
			);
		}

		const sessions = await t.engine.sessions.list();
		expect(sessions.find((session) => session.name === 'cao-crowd')?.terminals).toHaveLength(20);
		expect(await t.engine.sessions.remove('crowd')).toBe(20);
		await waitFor(async () => (await t.windows()).every((name) => !name.startsWith('fake-')), {
			what: 'the windows to go',
		});
	});

	it('rolls back a terminal whose agent never becomes ready: no window, FIFO or row', async () => {
		const error = await t.engine.terminals
			.create({ provider: 'fake', args: ['--never-ready'], initTimeoutMs: 1500 })
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CaoError);
		const message = (error as Error).message;
		expect(message).toMatch(/^fake terminal failed to start: terminal [0-9a-f]{8} did not reach idle/);
		expect(message).toContain('Fake Agent (cao-tui test peer)');
		expect(message).not.toContain('\n');
		expect((await t.windows()).filter((name) => name.startsWith('fake-'))).toEqual([]);
		expect(t.fifos()).toEqual([]);
		const id = /terminal ([0-9a-f]{8}) did not reach idle/.exec(message)?.[1] ?? '';
		const db = openDatabase(t.sandbox.paths.database);
		expect(createTerminalRepository(db).get(id)).toBeUndefined();
		db.close();
		const exited = t.events.find((event) => event.topic.endsWith('.exited'));
		expect(exited).toMatchObject({ reason: expect.stringContaining('failed to start') });
	});

	it('creates terminals in sessions of their own in parallel', async () => {
		const created = await Promise.all(
			Array.from({ length: 10 }, () => t.engine.terminals.create({ provider: 'fake' })),
		);
		expect(new Set(created.map((terminal) => terminal.session)).size).toBe(10);
		for (const terminal of created) expect(terminal.lastStatus).toBe('idle');
	});

	tmuxOnly('marks terminals exited when the tmux server dies, and keeps serving', async () => {
		const [first, second] = await Promise.all([
			t.engine.terminals.create({ provider: 'fake' }),
			t.engine.terminals.create({ provider: 'shell' }),
		]);
		const exits = [first, second].map((terminal) =>
			nextEvent(t.engine.bus, `terminal.${terminal?.id}.exited`),
		);
		t.sandbox.tmux('kill-server');
		for (const exit of await Promise.all(exits)) expect(exit.reason).toBe('window closed (tmux server gone)');
		expect(t.engine.terminals.list()).toEqual([]);
		expect(t.fifos()).toEqual([]);
		// A new terminal starts a new server and is watched like the first ones.
		const fresh = await t.engine.terminals.create({ provider: 'fake' });
		const exited = nextEvent(t.engine.bus, `terminal.${fresh.id}.exited`);
		await t.engine.terminals.sendInput(fresh.id, '!exit');
		expect((await exited).reason).toMatch(endedOnItsOwn);
	});

	it('hands over an agent that must list cao’s tools first only once it has, or warns after the grace', async () => {
		// A fake agent whose initialize waits for cao's tools, as Claude Code's does.
		const waits = (graceMs: number) => ({
			...fakeProvider,
			name: `fake_tools_${graceMs}`,
			initialize: async (context: Parameters<typeof fakeProvider.initialize>[0]) => {
				await fakeProvider.initialize(context);
				await context.waitForCaoTools(graceMs);
			},
		});
		const tools = await startTestEngine({ backend, extraProviders: [waits(60_000), waits(300)] });
		try {
			let ready = false;
			const creating = tools.engine.terminals.create({ provider: 'fake_tools_60000' }).then((record) => {
				ready = true;
				return record;
			});
			const id = () => tools.engine.terminals.list()[0]?.id ?? '';
			await waitFor(() => tools.statuses(id()).includes('idle'), { what: 'the agent idle' });
			expect(ready, 'not handed over before the tools are listed').toBe(false);
			tools.engine.terminals.toolsListed(id());
			expect((await creating).id).toBe(id());

			const late = await tools.engine.terminals.create({ provider: 'fake_tools_300' });
			expect(late.lastStatus).toBe('idle');
			expect(tools.events.filter((event) => event.topic === 'engine.warning')).toEqual([
				expect.objectContaining({
					message: `terminal ${late.id}: its agent did not list cao's MCP tools within 0.3s; handoff, assign and send_message may be missing from its tools`,
				}),
			]);
		} finally {
			await tools.dispose();
		}
	});

	it('answers an unknown terminal id with one clear line', async () => {
		await expect(t.engine.terminals.sendInput('deadbeef', 'hi')).rejects.toThrow(
			"unknown terminal 'deadbeef'",
		);
		await expect(t.engine.terminals.getOutput('../etc', 'full')).rejects.toThrow("unknown terminal '../etc'");
	});

	it('refuses bad requests before creating anything', async () => {
		await expect(t.engine.terminals.create({ provider: 'nope' })).rejects.toThrow(
			"unknown provider 'nope' (known: claude_code, codex, gemini_cli, kiro_cli, q_cli, kimi_cli, copilot_cli, opencode_cli, shell, fake)",
		);
		await expect(
			t.engine.terminals.create({ provider: 'fake', workingDirectory: '/no/such/dir' }),
		).rejects.toThrow("working directory '/no/such/dir' does not exist or is not a folder");
		await expect(t.engine.terminals.create({ provider: 'fake', session: 'bad name' })).rejects.toThrow(
			/invalid session name/,
		);
		expect(await t.windows()).toEqual([]);
	});

	it('gives the terminals created later in a session the environment given to it before', async () => {
		await t.engine.terminals.create({
			provider: 'shell',
			session: 'team',
			env: { TEAM_KEY: 'k1', SHARED: 'a' },
		});
		const later = await t.engine.terminals.create({
			provider: 'shell',
			session: 'team',
			env: { SHARED: 'b' },
		});
		const other = await t.engine.terminals.create({ provider: 'shell', session: 'elsewhere' });
		const ask = async (id: string) => {
			const done = nextEvent(t.engine.bus, `terminal.${id}.status`, (e) => e.status === 'completed');
			await t.engine.terminals.sendInput(id, 'printf "%s|%s\\n" "$TEAM_KEY" "$SHARED"');
			await done;
			return t.engine.terminals.getOutput(id, 'last');
		};
		expect(await ask(later.id)).toBe('k1|b');
		expect(await ask(other.id)).toBe('|');
		// Gone with the session.
		await t.engine.sessions.remove('team');
		const fresh = await t.engine.terminals.create({ provider: 'shell', session: 'team' });
		expect(await ask(fresh.id)).toBe('|');
	});

	it('keeps the CI markers of the server and the engine from the agents, unless a terminal sets them', async () => {
		// As when the engine and its tmux server were started by a CI job: Ink-based CLIs would
		// draw nothing but their last frame.
		await t.engine.stop();
		const ci = createEngine({
			paths: t.sandbox.paths,
			tmuxSocket: t.sandbox.socket,
			backend,
			env: { ...process.env, CI: 'true', CI_JOB_ID: '42' },
		});
		await ci.start();
		try {
			if (backend === 'tmux') {
				// The server's own environment, too.
				await ci.terminals.create({ provider: 'shell' });
				t.sandbox.tmux('set-environment', '-g', 'CI', 'true');
				t.sandbox.tmux('set-environment', '-g', 'CI_JOB_ID', '42');
			}
			const ask = async (env?: Record<string, string>) => {
				const terminal = await ci.terminals.create({ provider: 'shell', env });
				const done = nextEvent(ci.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
				await ci.terminals.sendInput(terminal.id, 'printf "%s|%s\\n" "${CI-unset}" "${CI_JOB_ID-unset}"');
				await done;
				return ci.terminals.getOutput(terminal.id, 'last');
			};
			expect(await ask()).toBe('unset|unset');
			expect(await ask({ CI: '1' })).toBe('1|unset');
		} finally {
			await ci.stop();
		}
	});

	it('asks the agent to quit before deleting its terminal, when told to', async () => {
		const terminal = await t.engine.terminals.create({ provider: 'fake' });
		const inputs = t.events.filter((event) => event.topic === `terminal.${terminal.id}.input`).length;
		await t.engine.terminals.remove(terminal.id, { exit: true });
		const exits = t.events.filter((event) => event.topic === `terminal.${terminal.id}.exited`);
		// It quit on its own (the fake agent's exit command), so the exit is the window closing.
		expect(exits).toEqual([expect.objectContaining({ reason: expect.stringMatching(endedOnItsOwn) })]);
		expect(t.events.filter((event) => event.topic === `terminal.${terminal.id}.input`).length).toBe(
			inputs + 1,
		);
		expect(t.engine.terminals.list()).toEqual([]);
	});

	it('runs a shell terminal with the environment and folder it was given', async () => {
		const terminal = await t.engine.terminals.create({
			provider: 'shell',
			workingDirectory: t.sandbox.home,
			env: { GREETING: 'semicolon; $(not run)' },
		});
		const done = nextEvent(t.engine.bus, `terminal.${terminal.id}.status`, (e) => e.status === 'completed');
		await t.engine.terminals.sendInput(
			terminal.id,
			'printf "%s|%s|%s\\n" "$GREETING" "$CAO_TERMINAL_ID" "$PWD"',
		);
		await done;
		expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe(
			`semicolon; $(not run)|${terminal.id}|${t.sandbox.home}`,
		);
		// Quick turns that end in the status they began in are each seen to begin and end.
		for (const word of ['two', 'three']) {
			const again = nextEvent(
				t.engine.bus,
				`terminal.${terminal.id}.status`,
				(e) => e.status === 'completed',
			);
			await t.engine.terminals.sendInput(terminal.id, `echo ${word}`);
			await again;
			expect(await t.engine.terminals.getOutput(terminal.id, 'last')).toBe(word);
		}
		expect(t.statuses(terminal.id)).toEqual([
			'idle',
			'processing',
			'completed',
			'processing',
			'completed',
			'processing',
			'completed',
		]);
	});

	/**
	 * A stand-in for `q chat --agent NAME`: reads its agent file where Q does (through the link),
	 * shows the terminal id it finds there, then Q's prompt; `/quit` ends it.
	 */
	const fakeQ = () => {
		const bin = join(t.sandbox.home, 'bin');
		mkdirSync(bin, { recursive: true });
		writeFileSync(
			join(bin, 'q'),
			[
				'#!/bin/sh',
				'agent="$3"',
				'[ -n "$FAKE_Q_SILENT" ] && exec sleep 60',
				'file="$HOME/.aws/amazonq/cli-agents/$agent.json"',
				`grep -o '"CAO_TERMINAL_ID": "[0-9a-f]*"' "$file" || echo "no agent file"`,
				`printf '[%s] > ' "$agent"`,
				'while read -r line; do [ "$line" = /quit ] && exit 0; printf \'[%s] > \' "$agent"; done',
				'',
			].join('\n'),
			{ mode: 0o755 },
		);
		const home = join(t.sandbox.home, 'user');
		return { home, env: { HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` } };
	};
	const qTerminal = (env: Record<string, string>) =>
		t.engine.terminals.create({ provider: 'q_cli', profile: 'developer', env, initTimeoutMs: 10_000 });
	const linkOf = (home: string, id: string) => join(home, `.aws/amazonq/cli-agents/developer-${id}.json`);

	it("links a q_cli terminal's own agent file where Q reads it, for the terminal's life", async () => {
		const { home, env } = fakeQ();
		const [first, second] = await Promise.all([qTerminal(env), qTerminal(env)]);
		for (const terminal of [first, second]) {
			if (!terminal) throw new Error('no terminal');
			expect(terminal.lastStatus).toBe('idle');
			const link = linkOf(home, terminal.id);
			expect(lstatSync(link).isSymbolicLink()).toBe(true);
			expect(readlinkSync(link)).toBe(
				join(t.sandbox.paths.terminals, terminal.id, `amazonq/cli-agents/developer-${terminal.id}.json`),
			);
			// Q found the file through the link, with this terminal's id for cao's MCP server.
			expect(await t.engine.terminals.getOutput(terminal.id)).toContain(
				`"CAO_TERMINAL_ID": "${terminal.id}"`,
			);
		}
		if (!first || !second) throw new Error('no terminals');

		await t.engine.terminals.remove(first.id);
		expect(existsSync(linkOf(home, first.id))).toBe(false);
		expect(lstatSync(linkOf(home, second.id)).isSymbolicLink()).toBe(true);

		// An exit takes its link back too (after the event: the exit path does not wait for it).
		const exited = nextEvent(t.engine.bus, `terminal.${second.id}.exited`);
		await t.engine.terminals.sendInput(second.id, '/quit');
		await exited;
		await waitFor(() => !existsSync(linkOf(home, second.id)), { what: 'the link to go' });
		// The exited terminal's folder stays, and its agent file with it.
		expect(existsSync(join(t.sandbox.paths.terminals, second.id, 'amazonq'))).toBe(true);
	});

	// Only tmux terminals outlive their engine.
	tmuxOnly('sweeps at start the links of terminals that ended while no engine ran', async () => {
		const { home, env } = fakeQ();
		const terminal = await qTerminal(env);
		// Stopped, the engine leaves the agent running, and its link with it.
		await t.engine.stop();
		expect(lstatSync(linkOf(home, terminal.id)).isSymbolicLink()).toBe(true);
		// The agent ends with no engine to see it; the next engine learns of it from its row.
		t.sandbox.tmux('kill-window', '-t', `=${terminal.session}:=${terminal.window}`);
		const db = openDatabase(t.sandbox.paths.database);
		createTerminalRepository(db).markExited(terminal.id, Date.now());
		db.close();

		const next = createEngine({ paths: t.sandbox.paths, tmuxSocket: t.sandbox.socket, env: process.env });
		try {
			await next.start();
			expect(existsSync(linkOf(home, terminal.id))).toBe(false);
		} finally {
			await next.stop();
		}
	});

	it('takes the link back when the terminal fails to start', async () => {
		const { home, env } = fakeQ();
		const error = await t.engine.terminals
			.create({
				provider: 'q_cli',
				profile: 'developer',
				env: { ...env, FAKE_Q_SILENT: '1' },
				initTimeoutMs: 1500,
			})
			.catch((caught: unknown) => caught);
		expect((error as Error).message).toMatch(/^q_cli terminal failed to start: .*did not reach idle/);
		// The folder was made for the link; the link itself is gone with the terminal.
		expect(readdirSync(join(home, '.aws/amazonq/cli-agents'))).toEqual([]);
	});

	it("refuses to start when a file of the user's is in the way, and rolls back", async () => {
		const { home, env } = fakeQ();
		// A file where Q's agent folder should be: the link cannot go in.
		mkdirSync(join(home, '.aws/amazonq'), { recursive: true });
		writeFileSync(join(home, '.aws/amazonq/cli-agents'), 'mine\n');
		const error = await qTerminal(env).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CaoError);
		expect((error as Error).message).toMatch(
			new RegExp(`^cannot link '${home}/\\.aws/amazonq/cli-agents/developer-[0-9a-f]{8}\\.json': `),
		);
		expect((await t.windows()).filter((name) => name.startsWith('developer-'))).toEqual([]);
		expect(t.engine.terminals.list()).toEqual([]);
		expect(existsSync(t.sandbox.paths.terminals) ? readdirSync(t.sandbox.paths.terminals) : []).toEqual([]);
	});
});
