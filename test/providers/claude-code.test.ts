import { readFileSync } from 'node:fs';
import { caoToolTimeoutMs } from '../../source/config.js';
import { describe, expect, it } from 'vitest';
import { claudeCodeProvider as claude } from '../../source/providers/claude-code.js';
import type { DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };

const fixture = (name: string) =>
	readFileSync(new URL(`../../fixtures/captures/claude_code/${name}`, import.meta.url), 'utf8');

/** A captured screen from its rows. */
const screen = (...rows: string[]) => `${rows.join('\n')}\n`;
const title = (text: string) => `\x1b]0;${text}\x07`;
const rule = '─'.repeat(60);
const box = (footer: string) => [rule, '❯ ', rule, `  ${footer}`];
const banner = [
	' ▐▛███▜▌   Claude Code v2.1.197',
	'▝▜█████▛▘  Opus 4.8 (1M context) · API Usage Billing',
	'',
];

describe('claudeCodeProvider.launchCommand', () => {
	it('without a profile: cao as its only MCP server, allowed without a prompt', () => {
		const options = launchOptions();
		const launch = claude.launchCommand(options);
		expect(launch.command).toEqual([
			'claude',
			`--mcp-config=${options.configDir}/mcp.json`,
			'--allowedTools=mcp__cao',
		]);
		expect(launch.env).toEqual({});
		expect(launch.files?.map((file) => file.path)).toEqual(['mcp.json']);
		expect(JSON.parse(launch.files?.[0]?.content ?? '')).toEqual({
			mcpServers: {
				cao: {
					type: 'stdio',
					command: options.caoMcp.command,
					args: options.caoMcp.args,
					env: options.caoMcp.env,
					// A handoff may take a day.
					timeout: caoToolTimeoutMs,
				},
			},
		});
	});

	it('maps model, prompt file, allowed tools and extra MCP servers; caller args go last', () => {
		const options = launchOptions({
			args: ['--verbose'],
			profile: {
				name: 'developer',
				model: 'sonnet',
				systemPrompt: 'You are the developer.\nWrite tests first.',
				allowedTools: ['Read', 'Bash(git log:*)', 'mcp__docs'],
				mcpServers: { docs: { command: 'docs-mcp', args: ['--stdio'], env: { TOKEN: 't' } } },
			},
		});
		const launch = claude.launchCommand(options);
		expect(launch.command).toEqual([
			'claude',
			'--model',
			'sonnet',
			`--append-system-prompt-file=${options.configDir}/system-prompt.md`,
			`--mcp-config=${options.configDir}/mcp.json`,
			'--allowedTools=mcp__cao,Read,Bash(git log:*),mcp__docs',
			'--verbose',
		]);
		const files = Object.fromEntries((launch.files ?? []).map((file) => [file.path, file.content]));
		expect(files['system-prompt.md']).toBe('You are the developer.\nWrite tests first.');
		const config = JSON.parse(files['mcp.json'] ?? '') as { mcpServers: Record<string, unknown> };
		expect(Object.keys(config.mcpServers).sort()).toEqual(['cao', 'docs']);
		expect(config.mcpServers.docs).toEqual({
			type: 'stdio',
			command: 'docs-mcp',
			args: ['--stdio'],
			env: { TOKEN: 't' },
		});
	});

	const yolo = {
		name: 'yolo',
		skipPermissions: true,
		mcpServers: { docs: { command: 'docs-mcp', args: [], env: {} } },
	};

	it('skipPermissions: its own bypass mode, except under root', () => {
		expect(claude.launchCommand(launchOptions({ profile: yolo, asRoot: false })).command).toContain(
			'--dangerously-skip-permissions',
		);
		// Under root only in a sandbox it is told of (IS_SANDBOX=1), as Claude Code itself allows.
		expect(
			claude.launchCommand(launchOptions({ profile: yolo, asRoot: true, env: { IS_SANDBOX: '1' } })).command,
		).toContain('--dangerously-skip-permissions');
		expect(
			claude.launchCommand(launchOptions({ profile: null, asRoot: false })).command.join(' '),
		).not.toMatch(/dangerously/);
	});

	it('skipPermissions under root: accept edits and allow every asking tool, never the refused bypass flag', () => {
		const launch = claude.launchCommand(launchOptions({ profile: yolo, asRoot: true }));
		expect(launch.command).toContain('--permission-mode');
		expect(launch.command[launch.command.indexOf('--permission-mode') + 1]).toBe('acceptEdits');
		const allowed = launch.command
			.find((arg) => arg.startsWith('--allowedTools='))
			?.split('=')[1]
			?.split(',');
		expect(allowed).toEqual(
			expect.arrayContaining(['mcp__cao', 'mcp__docs', 'Bash', 'Edit', 'Write', 'WebFetch']),
		);
		expect(launch.command.join(' ')).not.toMatch(/dangerously|bypassPermissions/);
	});

	it('keeps every file inside the config folder (relative paths)', () => {
		const launch = claude.launchCommand(launchOptions({ profile: { name: 'p', systemPrompt: 'x' } }));
		for (const file of launch.files ?? []) expect(file.path).not.toMatch(/^\/|\.\./);
	});
});

describe('claudeCodeProvider input tuning', () => {
	it('is realistic for Claude Code', () => {
		expect(claude.input.submitDelayMs).toBeGreaterThan(0);
		expect(claude.input.submitDelayMs).toBeLessThanOrEqual(1000);
		expect(claude.input.enterCount).toBe(1);
		expect(claude.input.acceptsInputWhileProcessing).toBe(false);
		expect(claude.input.exit).toEqual({ text: '/exit' });
		expect(claude.initTimeoutMs).toBeGreaterThanOrEqual(20_000);
	});
});

describe('claudeCodeProvider.detect', () => {
	it.each([
		['an empty buffer', '', idle, 'unknown'],
		['the title alone (set before the screen is drawn)', title('✳ Claude Code'), idle, 'unknown'],
		['the idle box and footer', screen(...banner, ...box('? for shortcuts')), idle, 'idle'],
		[
			'a mode footer instead of "? for shortcuts"',
			screen(...box('⏵⏵ accept edits on (shift+tab to cycle)')),
			idle,
			'idle',
		],
		[
			'a busy title after the idle footer',
			screen(...box('? for shortcuts')) + title('⠐ Claude Code'),
			afterInput,
			'processing',
		],
		[
			'a spinner under an older finished turn',
			screen(
				'❯ one',
				'● Reply one',
				'',
				'✻ Baked for 1s',
				'',
				'❯ two',
				'',
				'✢ Ionizing… (2s · ↓ 4 tokens)',
				...box('esc to interrupt'),
			),
			idle,
			'processing',
		],
		[
			'a reply streaming: no spinner line, only the busy footer',
			screen('❯ two', '', '● Half of the repl', ...box('esc to interrupt · ← for agents')),
			idle,
			'processing',
		],
		[
			'a finished turn',
			screen('❯ two', '', '● Reply two', '', '✻ Sautéed for 2s', ...box('? for shortcuts')),
			idle,
			'completed',
		],
		[
			'the title turned "✳" but the reply is not drawn yet',
			screen('❯ two', '✢ Ionizing…', ...box('esc to interrupt')) + title('✳ Fake session title'),
			afterInput,
			'unknown',
		],
		[
			'a reply and the idle footer when the turn duration is turned off',
			screen('❯ two', '', '● Reply two', ...box('? for shortcuts')),
			idle,
			'completed',
		],
		[
			'an API error',
			screen(
				'❯ hi',
				'',
				'● API Error: 401 invalid x-api-key',
				'',
				'✻ Baked for 0s',
				...box('? for shortcuts'),
			),
			idle,
			'error',
		],
		[
			'a permission dialog',
			screen(
				'❯ hi',
				'● Bash(rm -rf build)',
				'  ⎿  Waiting…',
				rule,
				' Bash command',
				' Do you want to proceed?',
				' ❯ 1. Yes',
				'   2. No',
				'',
				' Esc to cancel · Tab to amend',
			),
			idle,
			'waiting_user_answer',
		],
		[
			'a dialog answered with Esc: interrupted, the footer back',
			screen(
				' Do you want to proceed?',
				' ❯ 1. Yes',
				'❯ hi',
				'● Bash(rm -rf build)',
				'  ⎿  Interrupted · What should Claude do instead?',
				...box('? for shortcuts'),
			),
			afterInput,
			'idle',
		],
		[
			'a message sent and nothing drawn since',
			screen(...box('? for shortcuts'), '❯ hello'),
			afterInput,
			'unknown',
		],
		[
			'text typed in the box, not sent',
			screen('❯ one', '● Reply one', '', '✻ Baked for 1s', rule, '❯ draft', rule, '  '),
			idle,
			'completed',
		],
	] as const)('%s: %s', (_name, buffer, context, status) => {
		expect(claude.detect(buffer, context).status).toBe(status);
	});

	it('names the rule and the line that decided', () => {
		const detection = claude.detect(
			screen('❯ two', '● Reply two', '', '✻ Sautéed for 2s', ...box('? for shortcuts')),
			idle,
		);
		expect(detection).toEqual({
			status: 'completed',
			rule: 'claude_code.turn-done',
			line: '✻ Sautéed for 2s',
		});
	});

	// Real Claude Code over the fake server: its spinner said "* Doing…", so "✻ Cooked for 1s" came
	// as "✻", "C", "oked for 1s" (and "● " of the reply was never repainted). The engine keeps the
	// screen with a turn mark at the input, as it does live (compact, then the turn's bytes).
	describe('a turn whose end is repainted in fragments (kept screen, turn mark)', () => {
		const raw = fixture('partial_repaint_turn_raw.txt');
		const input = raw.indexOf('\r\x1b[2C\x1b[3ASay\x1b[7Ghello');
		const end = raw.indexOf('oked\x1b[10Gfor');
		const turn = (upTo: number) =>
			(claude.compact?.(raw.slice(0, input), { newTurn: true }) ?? '') + raw.slice(input, upTo);

		it('reads completed at the end, from the rebuilt screen', () => {
			expect(input).toBeGreaterThan(0);
			expect(claude.detect(raw.slice(input), afterInput).status).not.toBe('completed');
			expect(claude.detect(turn(raw.length), afterInput)).toEqual({
				status: 'completed',
				rule: 'claude_code.turn-done',
				line: '✻ Cooked for 1s',
			});
		});

		it('is never idle or completed before it, wherever the stream is cut', () => {
			const seen = new Set<string>();
			for (let at = input; at < end; at++) seen.add(claude.detect(turn(at), afterInput).status);
			expect([...seen].sort()).toEqual(['processing', 'unknown']);
		});

		it("takes the previous turn's end for nothing while only the box is redrawn", () => {
			const next = claude.compact?.(raw, { newTurn: true }) ?? '';
			// The next input's echo in the box (as recorded), then the footer redrawn under it.
			const echo = '\x1b[2C\x1b[2AWrite\x1b[9Ga\x1b[11Glong\x1b[16Gprogram\x1b[7m \r\x1b[2B\x1b[27m\x1b[K';
			const footer = '\r\x1b[2C? for shortcuts · ← for agents ';
			expect(claude.detect(next + echo, afterInput).status).toBe('unknown');
			expect(claude.detect(next + echo + footer, afterInput).status).toBe('unknown');
		});
	});

	// The worst mistake is a completed before the turn ends: cut a real turn's stream anywhere.
	it.each(['turn_raw.txt', 'long_turn_raw.txt'])(
		'%s: never ready before "✻ … for Ns", wherever the stream is cut',
		(name) => {
			const raw = fixture(name);
			// The "✻" that starts "✻ Sautéed for 2s" (colours and cursor moves may sit in between).
			const end = raw.search(/✻(?:\x1b\[[\d;]*[A-Za-z]| )+\p{L}+ for \d/u);
			expect(end).toBeGreaterThan(0);
			const seen = new Set<string>();
			for (let at = 1; at < end; at++) seen.add(claude.detect(raw.slice(0, at), afterInput).status);
			expect([...seen].sort()).toEqual(['processing', 'unknown']);
			expect(claude.detect(raw, afterInput).status).toBe('completed');
		},
	);
});

describe('claudeCodeProvider.extractLastReply', () => {
	it('returns the last reply block, un-indented, code kept, without chrome', () => {
		const text = screen(
			...banner,
			'❯ first',
			'',
			'● Reply one',
			'',
			'✻ Baked for 1s',
			'',
			'❯ second',
			'  with a second line',
			'',
			'● Read(notes.md)',
			'  ⎿  Read 3 lines',
			'',
			'● Here is the fix:',
			'',
			'  def add(a, b):',
			'      return a + b',
			'',
			'  - first point',
			'',
			'✻ Churned for 3s',
			'',
			...box('? for shortcuts'),
		);
		expect(claude.extractLastReply(text)).toBe(
			['Here is the fix:', '', 'def add(a, b):', '    return a + b', '', '- first point'].join('\n'),
		);
	});

	it('keeps a reply that scrolled past the screen whole (captured with history)', () => {
		const reply = claude.extractLastReply(fixture('completed_long_reply_history.txt'));
		expect(reply.split('\n')[0]).toBe('Here is the long answer.');
		expect(reply).toContain('Line 60 of the explanation.');
		expect(reply).not.toMatch(/Cogitated|shortcuts|❯/);
	});

	it('drops the spinner hint of a turn still running', () => {
		const text = screen(
			'❯ hi',
			'● Partial',
			'',
			'✢ Ionizing… (2s)',
			'  ⎿  Tip: Use Plan Mode',
			...box('esc to interrupt'),
		);
		expect(claude.extractLastReply(text)).toBe('Partial');
	});

	it.each([
		['an empty screen', ''],
		['the idle screen', screen(...banner, ...box('? for shortcuts'))],
		['a sent message and a spinner', screen('❯ hi', '', '✢ Ionizing…', ...box('esc to interrupt'))],
		[
			'an older reply above a new message',
			screen('❯ one', '● Reply one', '✻ Baked for 1s', '❯ two', '✢ Ionizing…'),
		],
	])('returns nothing for %s', (_name, text) => {
		expect(claude.extractLastReply(text)).toBe('');
	});
});

describe('claudeCodeProvider.initialize', () => {
	const scripted = scriptedInitialize;

	it('trusts the folder with "1", then waits for the input box', async () => {
		const trust = screen(
			rule,
			' Accessing workspace:',
			' Quick safety check: Is this a project you created or one you trust?',
			' ❯ 1. Yes, I trust this folder',
			'   2. No, exit',
			' Enter to confirm · Esc to cancel',
		);
		const { context, sent } = scripted([title('✳ Claude Code'), trust], {
			'1': screen(...banner, ...box('? for shortcuts')),
		});
		await claude.initialize(context);
		expect(sent).toEqual([['1']]);
	});

	it('accepts the API key from the environment with "1"', async () => {
		const dialog = screen(
			rule,
			'  Detected a custom API key in your environment',
			'  Do you want to use this API key?',
			'    1. Yes',
			'  ❯ 2. No (recommended)',
			'  Enter to confirm · Esc to cancel',
		);
		const { context, sent } = scripted([dialog], { '1': screen(...box('? for shortcuts')) });
		await claude.initialize(context);
		expect(sent).toEqual([['1']]);
	});
});
