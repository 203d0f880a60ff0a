import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../source/engine/bus.js';
import { terminalTopic } from '../../source/engine/events.js';
import {
	bufferLimit,
	createStatusMonitor,
	quietWindowMs,
} from '../../source/engine/status/status-monitor.js';
import { opencodeCliProvider } from '../../source/providers/opencode-cli.js';
import { renderScreen, screenSnapshot } from '../../source/providers/screen.js';
import type { AgentProfile, DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';

const configDir = '/home/me/.cao/terminals/ab12cd34';
const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };

const profile: AgentProfile = {
	name: 'Code Reviewer',
	model: 'anthropic/claude-sonnet-4-5',
	systemPrompt: 'You review code.\nBe terse.',
	allowedTools: ['bash', 'fs_write', 'mcp__github__get_issue', '@jira', 'webfetch'],
	mcpServers: {
		github: { command: 'github-mcp', args: ['--stdio'], env: { GITHUB_TOKEN: 't0k3n' } },
	},
};

const configOf = (files: { path: string; content: string }[] | undefined) =>
	JSON.parse(files?.find((file) => file.path === `${configDir}/opencode.json`)?.content ?? '{}');

describe('opencodeCliProvider.launchCommand', () => {
	it('without a profile: opencode with a config holding cao MCP server, its tools allowed', () => {
		const launch = opencodeCliProvider.launchCommand(launchOptions());
		expect(launch.command).toEqual(['opencode']);
		expect(launch.env).toEqual({
			OPENCODE_CONFIG: `${configDir}/opencode.json`,
			OPENCODE_DISABLE_AUTOUPDATE: '1',
			OPENCODE_DB: `${configDir}/opencode.db`,
		});
		expect(launch.files?.map((file) => file.path)).toEqual([`${configDir}/opencode.json`]);
		expect(configOf(launch.files)).toEqual({
			$schema: 'https://opencode.ai/config.json',
			mcp: {
				cao: {
					type: 'local',
					command: ['/usr/bin/node', '/opt/cao-tui/dist/cli.js', 'mcp-server'],
					environment: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
					enabled: true,
				},
			},
			permission: { 'cao_*': 'allow' },
		});
	});

	it('a full profile: an agent of its own with the prompt file, model, permissions, MCP servers', () => {
		const launch = opencodeCliProvider.launchCommand(launchOptions({ profile, args: ['--print-logs'] }));
		expect(launch.command).toEqual([
			'opencode',
			'--model',
			'anthropic/claude-sonnet-4-5',
			'--agent',
			'cao-code-reviewer',
			'--print-logs',
		]);
		expect(launch.files?.find((file) => file.path === `${configDir}/agent-prompt.md`)?.content).toBe(
			profile.systemPrompt,
		);
		const config = configOf(launch.files);
		const permission = {
			'cao_*': 'allow',
			bash: 'allow',
			edit: 'allow',
			github_get_issue: 'allow',
			'jira_*': 'allow',
			webfetch: 'allow',
		};
		expect(config.permission).toEqual(permission);
		expect(config.agent).toEqual({
			'cao-code-reviewer': {
				description: 'cao-tui agent profile Code Reviewer',
				mode: 'primary',
				prompt: `{file:${configDir}/agent-prompt.md}`,
				model: 'anthropic/claude-sonnet-4-5',
				permission,
			},
		});
		expect(Object.keys(config.mcp)).toEqual(['github', 'cao']);
		expect(config.mcp.github).toEqual({
			type: 'local',
			command: ['github-mcp', '--stdio'],
			environment: { GITHUB_TOKEN: 't0k3n' },
			enabled: true,
		});
	});

	it('skipPermissions allows everything ("*"), a profile without prompt gets no prompt file', () => {
		const launch = opencodeCliProvider.launchCommand(
			launchOptions({ profile: { name: 'yolo', skipPermissions: true } }),
		);
		expect(launch.command).toEqual(['opencode', '--agent', 'cao-yolo']);
		expect(launch.files).toHaveLength(1);
		const config = configOf(launch.files);
		expect(config.permission).toEqual({ 'cao_*': 'allow', '*': 'allow' });
		expect(config.agent['cao-yolo'].prompt).toBeUndefined();
	});
});

describe('opencodeCliProvider input tuning', () => {
	it('paste, a short pause, one Enter; /exit to leave', () => {
		expect(opencodeCliProvider.input.enterCount).toBe(1);
		expect(opencodeCliProvider.input.submitDelayMs).toBeGreaterThanOrEqual(100);
		expect(opencodeCliProvider.input.submitDelayMs).toBeLessThanOrEqual(1000);
		expect(opencodeCliProvider.input.exit).toEqual({ text: '/exit' });
		expect(opencodeCliProvider.initTimeoutMs).toBeGreaterThanOrEqual(30_000);
	});
});

const at = (row: number, col: number) => `\x1b[${row};${col}H`;
const frame = (body: string) => `\x1b[?2026h${body}\x1b[?2026l`;
/** A user message block: "┃", "┃  text", "┃" from `row`, as OpenTUI paints it. */
const user = (row: number, text: string) => `${at(row, 3)}┃${at(row + 1, 3)}┃  ${text}${at(row + 2, 3)}┃`;
const footerBusy = `${at(49, 4)}⬝⬝■■■■⬝⬝${at(49, 14)}esc interrupt`;
const footerIdle = `${at(49, 4)}/home/me/work       ${at(49, 130)}ctrl+p commands`;

describe('opencodeCliProvider.detect', () => {
	it('the moving bar in the footer: processing, even with finished turns above', () => {
		const raw = frame(
			`${user(1, 'first')}${at(5, 6)}▣  Build · Big Pickle · 2.1s${user(7, 'second')}${footerBusy}`,
		);
		expect(opencodeCliProvider.detect(raw, afterInput)).toEqual({
			status: 'processing',
			rule: 'opencode_cli.busy-footer',
			line: '⬝⬝■■■■⬝⬝  esc interrupt',
		});
	});

	it('a finished ▣ line with a newer user message below it is not completed', () => {
		// The newer turn's own ▣ line was drawn before the buffer's window; no bar: it ended.
		const raw = frame(`${at(5, 6)}▣  Build · Big Pickle · 2.1s${user(7, 'second')}${footerIdle}`);
		const detection = opencodeCliProvider.detect(raw, afterInput);
		expect(detection.status).not.toBe('completed');
		expect(detection.status).not.toBe('idle');
	});

	it('the question tool (the model asks the user) waits for an answer', () => {
		const raw = frame(
			`${user(1, 'pick one')}${at(10, 3)}┃  Which database?${at(11, 3)}┃  1. Postgres${at(14, 5)}↑↓ select  enter submit  esc dismiss`,
		);
		expect(opencodeCliProvider.detect(raw, afterInput)).toEqual({
			status: 'waiting_user_answer',
			rule: 'opencode_cli.question',
			line: '↑↓ select  enter submit  esc dismiss',
		});
	});

	it('the turn over, its ▣ line with a duration: completed; interrupted: idle', () => {
		const done = frame(
			`${user(1, 'hi')}${at(5, 6)}Hello!${at(7, 6)}▣  Build · Fake Model · 1m 5s${footerIdle}`,
		);
		expect(opencodeCliProvider.detect(done, idle)).toEqual({
			status: 'completed',
			rule: 'opencode_cli.finished',
			line: '▣  Build · Fake Model · 1m 5s',
		});
		const stopped = frame(`${user(1, 'hi')}${at(5, 6)}▣  Build · Fake Model · interrupted${footerIdle}`);
		expect(opencodeCliProvider.detect(stopped, afterInput).status).toBe('idle');
	});

	it('a head and a tail joined by the status buffer: the cut cells after the join are dropped', () => {
		const head = frame(`${user(1, 'hi')}${footerBusy}`);
		const tail = `32m■■■${frame(`${at(5, 6)}Hello!${at(7, 6)}▣  Build · Fake Model · 4.6s${footerIdle}`)}`;
		const buffer = `${head}\n${tail}`;
		expect(opencodeCliProvider.detect(buffer, afterInput).status).toBe('completed');
		expect(opencodeCliProvider.extractLastReply(buffer)).toBe('Hello!');
	});
});

describe('opencodeCliProvider.extractLastReply', () => {
	it('the newest turn text: no thought, no tool lines, no sidebar', () => {
		const sidebar = (row: number, text: string) => `${at(row, 160)}${text}`;
		const screen = frame(
			[
				user(1, 'fix it'),
				`${at(5, 3)}┃  Thinking: the user wants a fix.`,
				`${at(7, 6)}→ Read src/app.ts`,
				`${at(9, 6)}Fixed the off-by-one.`,
				`${at(11, 6)}It now reads  all items.`,
				`${at(13, 6)}▣  Build · Fake Model · 4.6s`,
				sidebar(1, 'Context'),
				sidebar(13, 'LSP'),
				`${at(46, 3)}┃  Build · Fake Model Fake`,
				`${at(47, 3)}╹${'▀'.repeat(140)}`,
				footerIdle,
			].join(''),
		);
		expect(opencodeCliProvider.extractLastReply(screen)).toBe(
			'Fixed the off-by-one.\n\nIt now reads  all items.',
		);
	});
});

describe('opencodeCliProvider.detect right after input', () => {
	it('the home screen prompt emptied by the Enter, before the session view: idle only without input', () => {
		// The first turn: OpenTUI clears the home prompt back to its placeholder for one frame.
		const raw = frame(`${at(26, 67)}Ask anything… "Fix a TODO in the codebase"${at(30, 112)}ctrl+p commands`);
		expect(opencodeCliProvider.detect(raw, idle).status).toBe('idle');
		expect(opencodeCliProvider.detect(raw, afterInput)).toMatchObject({
			status: 'unknown',
			rule: 'opencode_cli.turn-starting',
		});
	});
});

describe('opencodeCliProvider in the status monitor, on a turn longer than the buffer', () => {
	// A real turn (a 75-line reply with a code block), 47 KB of cell repaints: cut to its newest
	// bytes, the screen loses the rows drawn before, so the buffer keeps the screen instead.
	const turn = readFileSync(
		new URL('../../fixtures/captures/opencode_cli/completed_long_reply_turn_raw.txt', import.meta.url),
		'utf8',
	);

	afterEach(() => {
		vi.useRealTimers();
	});

	it('reads a snapshot of the screen as it reads the stream', () => {
		for (const end of [turn.length / 4, turn.length / 2, turn.length].map(Math.floor)) {
			const stream = turn.slice(0, end);
			const snapshot = screenSnapshot(stream);
			expect(snapshot.length).toBeLessThan(stream.length);
			expect(renderScreen(snapshot)).toEqual(renderScreen(stream));
			expect(opencodeCliProvider.detect(snapshot, afterInput)).toEqual(
				opencodeCliProvider.detect(stream, afterInput),
			);
		}
	});

	/** Feeds a turn as input then output in 2 KB chunks 60 ms apart, the buffer within its limit. */
	const monitorWith = () => {
		const bus = createEventBus((error) => {
			throw error;
		});
		const events: { status: string; line: string }[] = [];
		bus.on('terminal.*.status', ({ status, line }) => events.push({ status, line }));
		const monitor = createStatusMonitor({ bus });
		monitor.start();
		monitor.register('t1', opencodeCliProvider);
		const input = () => {
			monitor.notifyInputSent('t1');
			monitor.clearBuffer('t1');
		};
		const output = (stream: string, until = stream.length) => {
			for (let at = 0; at < until; at += 2000) {
				const data = stream.slice(at, at + 2000);
				bus.emit(terminalTopic('t1', 'output'), { terminalId: 't1', data, bytes: Buffer.from(data), at: 0 });
				expect(monitor.getBuffer('t1')?.length).toBeLessThanOrEqual(bufferLimit);
				vi.advanceTimersByTime(60);
			}
			vi.advanceTimersByTime(quietWindowMs);
		};
		return { events, input, output, stop: () => monitor.stop() };
	};

	it('completes the turn fed chunk by chunk, the buffer within its limit', () => {
		vi.useFakeTimers();
		const { events, input, output, stop } = monitorWith();
		input();
		output(turn);
		expect(events).toEqual([
			{ status: 'processing', line: '' },
			{ status: 'completed', line: '▣  Build · Fake Model · 2.7s' },
		]);
		stop();
	});

	it('keeps the screen across turns: the next turn draws over it, and the old ▣ line does not end it', () => {
		vi.useFakeTimers();
		const next = readFileSync(
			new URL('../../fixtures/captures/opencode_cli/completed_slow_turn_after_long_raw.txt', import.meta.url),
			'utf8',
		);
		const { events, input, output, stop } = monitorWith();
		input();
		output(turn);
		events.length = 0;
		input();
		// Its first frames: the prompt typed in the input box, the old turn's ▣ line still on screen.
		output(next, 2000);
		expect(events).toEqual([{ status: 'processing', line: '' }]);
		output(next.slice(2000));
		expect(events).toEqual([
			{ status: 'processing', line: '' },
			{ status: 'completed', line: '▣  Build · Fake Model · 8.5s' },
		]);
		stop();
	});
});
