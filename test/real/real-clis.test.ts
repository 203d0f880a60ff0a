import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendKind } from '../../source/config.js';
import type { EventMap } from '../../source/engine/events.js';
import { createProfileStore } from '../../source/profiles/profile-store.js';
import { getProvider } from '../../source/providers/registry.js';
import { hasTmux } from '../helpers/sandbox.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { waitFor } from '../helpers/wait-for.js';
import { type FakeModelServer, type ScriptedReply, startFakeModelServer } from './fake-model-server.js';
import { ensureInstalled, type RealCli, realFolder, selectedClis } from './real-clis.js';

/*
 * The real agent CLIs, driven through the engine (tmux and FIFO, or node-pty; StatusMonitor)
 * against the fake model server. Every status event from the terminal's creation on is recorded;
 * each turn must read processing → completed and nothing else (a flap fails), the provider itself
 * must read the turn as processing from the screen, completed must come only after the server sent
 * the reply's last byte, and the extracted reply must be the server's text.
 */

type StatusEvent = EventMap['terminal.x.status'];

const codeLines = [
	'def fibonacci(count):',
	'    numbers = [0, 1]',
	'    while len(numbers) < count:',
	'        numbers.append(numbers[-1] + numbers[-2])',
	'    return numbers[:count]',
	'',
	...Array.from({ length: 24 }, (_, index) => `print(fibonacci(${index + 1}))`),
];

/** Replies the fake server streams, chosen by a word in the prompt. */
const replies = {
	long: {
		text: [
			'Here is a long answer that scrolls past the screen.',
			'',
			...Array.from(
				{ length: 30 },
				(_, index) => `Paragraph ${index + 1} explains one more step of the plan.`,
			),
			'',
			'```python',
			...codeLines,
			'```',
			'',
			'That is the whole program.',
		].join('\n'),
		chunks: 12,
		chunkMs: 150,
	},
	slow: {
		text: 'This reply starts slowly, then the model stalls for a while, and after the pause it finishes the sentence.',
		chunks: 8,
		chunkMs: 400,
		pauseAfterChunk: 4,
		pauseMs: 5000,
	},
} satisfies Record<string, ScriptedReply>;

const replyFor = (prompt: string): ScriptedReply | undefined => {
	if (/\blong\b/.test(prompt)) return replies.long;
	if (/\bslow\b/.test(prompt)) return replies.slow;
	return undefined;
};

/**
 * A reply without its markdown code fences: the TUIs draw a code block as a block (Gemini CLI with
 * line numbers, which its provider turns back into a fenced block), not as fence lines, so only
 * the fences may differ; every other line must be the server's.
 */
const withoutFences = (text: string) =>
	text
		.split('\n')
		.filter((line) => !line.startsWith('```'))
		.join('\n');

/** Each CLI on tmux (where installed) and on the pty backend. */
const runs = selectedClis().flatMap((cli) =>
	(['tmux', 'pty'] as const)
		.filter((backend) => backend === 'pty' || hasTmux)
		.map((backend) => ({ cli, backend, provider: cli.provider })),
);
if (!hasTmux) describe.skip('real agent CLIs on tmux [skipped: tmux is not installed]', () => {});

describe.each(runs)(
	'$provider (real program, $backend)',
	({ cli, backend }: { cli: RealCli; backend: BackendKind }) => {
		let server: FakeModelServer;
		let test: TestEngine;
		let terminalId = '';
		let lastOutputAt = 0;
		/** Status events not yet accounted for by a turn. */
		let unchecked: StatusEvent[] = [];
		/** What the provider read from the screen on each output chunk of the current turn. */
		let readings: string[] = [];
		const provider = getProvider(cli.provider);
		/** The folder of the CLI's executable. */
		let bin = '';

		beforeAll(async () => {
			bin = await ensureInstalled(cli);
			server = await startFakeModelServer({ reply: replyFor });
			// With the control API, as cao-tui runs: the agents' cao MCP servers report to it.
			test = await startTestEngine({ backend, api: true });
			const home = join(test.sandbox.home, 'agent-home');
			mkdirSync(home, { recursive: true });
			const env = {
				...cli.prepare(home, server.url),
				PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
			};
			// From its creation on, before its first status.
			test.engine.bus.on('terminal.*.created', (event) => {
				terminalId ||= event.terminalId;
			});
			// Subscribed after the monitor: its buffer holds this chunk already.
			test.engine.bus.on('terminal.*.output', ({ terminalId: id, at }) => {
				lastOutputAt = at;
				const buffer = id === terminalId ? test.engine.monitor.getBuffer(id) : undefined;
				if (buffer !== undefined)
					readings.push(provider.detect(buffer, { afterInput: true, profile: null }).status);
			});
			test.engine.bus.on('terminal.*.status', (event) => {
				if (event.terminalId === terminalId) unchecked.push(event);
			});
			const record = await test.engine.terminals.create({
				provider: cli.provider,
				workingDirectory: realFolder(join(test.sandbox.home, 'work')),
				env,
			});
			expect(record.id).toBe(terminalId);
			expect(record.lastStatus).toBe('idle');
			// The CLI started cao's MCP server from the config cao gave it and listed its tools; Claude
			// Code, which connects it in the background, is handed over only once it has.
			const toolsListed = () => test.events.some((event) => event.topic === `terminal.${terminalId}.tools`);
			if (cli.provider === 'claude_code') expect(toolsListed()).toBe(true);
			await waitFor(toolsListed, { timeoutMs: 30_000, what: `${cli.provider} to list cao's MCP tools` });
			await quiet();
			// Starting: dialogs answered, then idle, once: no idle → anything → idle on the way.
			const starting = unchecked.map((event) => event.status);
			expect(starting.at(-1), describeStatuses(unchecked)).toBe('idle');
			expect(starting.indexOf('idle'), describeStatuses(unchecked)).toBe(starting.length - 1);
			expect(starting.filter((status) => status === 'processing' || status === 'completed')).toEqual([]);
			unchecked = [];
		}, 15 * 60_000);

		afterAll(async () => {
			// CAO_REAL_KEEP=1 keeps the home (raw logs, the agent's own files) to look into afterwards.
			if (process.env.CAO_REAL_KEEP && test) {
				await test.engine.stop();
				console.log(`${cli.provider}: kept ${test.sandbox.home} (tmux -L ${test.sandbox.socket})`);
			} else if (test) {
				// Ends the CLI (whatever it does with SIGHUP) before its home is removed.
				if (terminalId) await test.engine.terminals.remove(terminalId);
				await test.dispose();
			}
			// What the CLI tried to reach beyond loopback (updates, telemetry) was refused: nothing to check.
			await server?.close();
		});

		/** Waits until the agent has drawn nothing for a second and a half. */
		const quiet = () =>
			waitFor(() => Date.now() - lastOutputAt > 1500, { timeoutMs: 30_000, what: 'the screen to settle' });

		const describeStatuses = (events: readonly StatusEvent[]) =>
			events.map(({ status, rule, line }) => `${status} (${rule}: ${line.trim().slice(0, 60)})`).join('\n');

		/** One turn: sends the prompt, waits for completed and a still screen, checks every status event. */
		const turn = async (prompt: string, expected: string) => {
			const before = test.engine.terminals.get(terminalId).lastStatus;
			expect(['idle', 'completed']).toContain(before);
			// Nothing changed since the last turn ended.
			expect(unchecked, describeStatuses(unchecked)).toEqual([]);
			readings = [];
			await test.engine.terminals.sendInput(terminalId, prompt);
			await waitFor(() => unchecked.some((event) => event.status === 'completed'), {
				timeoutMs: 90_000,
				what: `${cli.provider} to complete "${prompt}"`,
			}).catch(async (error: unknown) => {
				const screen = await test.engine.terminals.getOutput(terminalId, 'full').catch(() => '');
				const tail = screen
					.split('\n')
					.filter((line) => line.trim())
					.slice(-15)
					.join('\n');
				throw new Error(`${String(error)}\nstatuses:\n${describeStatuses(unchecked)}\nscreen:\n${tail}`);
			});
			await quiet();
			const events = unchecked;
			unchecked = [];
			expect(
				events.map((event) => event.status),
				describeStatuses(events),
			).toEqual(['processing', 'completed']);
			const served = server.turns.filter((served) => served.prompt.includes(prompt)).at(-1);
			expect(served?.endedAt, `the server never answered "${prompt}"`).toBeTypeOf('number');
			// cao's tools reach the model from the first turn on.
			const caoTools = served?.tools.filter((name) => /(^|_)(handoff|assign|send_message)$/.test(name));
			expect(caoTools, `tools offered: ${served?.tools.join(' ')}`).toHaveLength(3);
			// The engine says processing when it sends; the provider must see the turn busy on its own.
			expect(readings, `${cli.provider} never read its screen as processing`).toContain('processing');
			const completed = events[1] as StatusEvent;
			expect(completed.at, 'completed came before the reply ended').toBeGreaterThanOrEqual(
				served?.endedAt ?? 0,
			);
			expect(withoutFences(await test.engine.terminals.getOutput(terminalId, 'last'))).toBe(
				withoutFences(expected),
			);
		};

		it('takes two turns, each idle → processing → completed, with the exact reply', async () => {
			await turn('Say hello in two words', 'FAKE-REPLY: Say hello in two words');
			await turn('Now say goodbye', 'FAKE-REPLY: Now say goodbye');
		}, 240_000);

		it('completes a long multi-line reply with a code block that scrolls past the screen', async () => {
			await turn('Write a long program', replies.long.text);
		}, 240_000);

		it.runIf(cli.provider === 'claude_code')(
			'starts in its bypass-permissions mode with the warning answered (skipPermissions)',
			async () => {
				const profile = join(test.sandbox.home, 'daring.md');
				writeFileSync(
					profile,
					'---\nname: daring\nprovider: claude_code\nskipPermissions: true\n---\nYou dare.\n',
				);
				await createProfileStore({ storeDir: test.sandbox.paths.agentStore }).install(profile);
				const home = join(test.sandbox.home, 'daring-home');
				mkdirSync(home, { recursive: true });
				const daring = await test.engine.launch({
					provider: cli.provider,
					profile: 'daring',
					workingDirectory: realFolder(join(test.sandbox.home, 'work')),
					// Root may use the bypass mode only in a sandbox it is told of.
					env: {
						...cli.prepare(home, server.url),
						PATH: `${bin}:${process.env.PATH ?? ''}`,
						IS_SANDBOX: '1',
					},
				});
				try {
					expect(daring.lastStatus).toBe('idle');
					const screen = await test.engine.terminals.getOutput(daring.id, 'full');
					expect(screen, screen).toMatch(/bypass permissions on/i);
				} finally {
					await test.engine.terminals.remove(daring.id);
				}
			},
		);

		it('stays processing through a pause mid-reply', async () => {
			await turn('Answer slow please', replies.slow.text);
		}, 240_000);
	},
);
