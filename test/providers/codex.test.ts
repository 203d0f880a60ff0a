import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codexProvider as codex } from '../../source/providers/codex.js';
import type { DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };

const fixture = (name: string) =>
	readFileSync(new URL(`../../fixtures/captures/codex/${name}`, import.meta.url), 'utf8');

/** A captured screen from its rows. */
const screen = (...rows: string[]) => `${rows.join('\n')}\n`;
/** Codex's own status report (OSC 7501), as it sends it. */
const report = (state: string) => `\x1b]7501;state=${state}:app=codex\x1b\\`;
const title = (text: string) => `\x1b]0;${text}\x07`;
/** One synchronized frame: each [row, col, text] drawn with an absolute cursor move. */
const frame = (...cells: [number, number, string][]) =>
	`\x1b[?2026h${cells.map(([row, col, text]) => `\x1b[${row};${col}H${text}`).join('')}\x1b[?2026l`;
const composer = [
	'',
	'› Ask Codex to do anything',
	'',
	'  gpt-5 default · ~/repo',
	'  ← for agents · ? for shortcuts',
];

/** The `-c` overrides of a launch, in order. */
const overrides = (command: readonly string[]) =>
	command.flatMap((arg, index) => (command[index - 1] === '-c' ? [arg] : []));

describe('codexProvider.launchCommand', () => {
	it('without a profile: inline history, no update offer, cao as an approved MCP server', () => {
		const launch = codex.launchCommand(launchOptions());
		expect(launch.command.slice(0, 2)).toEqual(['codex', '--no-alt-screen']);
		expect(overrides(launch.command)).toEqual([
			'check_for_update_on_startup=false',
			'mcp_servers.cao.command="/usr/bin/node"',
			'mcp_servers.cao.args=["/opt/cao-tui/dist/cli.js", "mcp-server"]',
			'mcp_servers.cao.env={ "CAO_TERMINAL_ID" = "ab12cd34", "CAO_HOME" = "/home/me/.cao" }',
			// A handoff may take a day (Codex's default: 60 s).
			'mcp_servers.cao.tool_timeout_sec=90000',
			'mcp_servers.cao.default_tools_approval_mode="approve"',
		]);
		expect(launch.env).toEqual({});
		expect(launch.files ?? []).toEqual([]);
		expect(launch.command).not.toContain('--dangerously-bypass-approvals-and-sandbox');
	});

	it('maps model, instructions, extra MCP servers and allowed MCP tools; caller args go last', () => {
		const launch = codex.launchCommand(
			launchOptions({
				args: ['--search'],
				profile: {
					name: 'developer',
					model: 'gpt-5-codex',
					systemPrompt: 'Say "hi".\nUse C:\\tmp when asked.',
					allowedTools: ['mcp__docs', 'mcp__tracker__create_issue', 'Bash'],
					mcpServers: {
						docs: { command: 'docs-mcp', args: ['--stdio'], env: {} },
						'my.tracker': { command: 'tracker-mcp', args: [], env: { TOKEN: 'x' } },
					},
				},
			}),
		);
		expect(launch.command.slice(0, 4)).toEqual(['codex', '--no-alt-screen', '--model', 'gpt-5-codex']);
		expect(launch.command.at(-1)).toBe('--search');
		const all = overrides(launch.command);
		expect(all).toEqual(
			expect.arrayContaining([
				'mcp_servers.docs.command="docs-mcp"',
				'mcp_servers.docs.args=["--stdio"]',
				'mcp_servers.docs.default_tools_approval_mode="approve"',
				'mcp_servers.my_tracker.command="tracker-mcp"',
				'mcp_servers.my_tracker.env={ "TOKEN" = "x" }',
				'mcp_servers.tracker.tools.create_issue.approval_mode="approve"',
			]),
		);
		// The tracker server is not allowed as a whole: its calls still ask.
		expect(all).not.toContain('mcp_servers.my_tracker.default_tools_approval_mode="approve"');
		// The instructions are one TOML basic string: quotes, backslashes and line breaks escaped.
		const instructions = all.find((value) => value.startsWith('developer_instructions='));
		expect(instructions).toBe('developer_instructions="Say \\"hi\\".\\nUse C:\\\\tmp when asked."');
		expect(JSON.parse(instructions?.slice('developer_instructions='.length) ?? '')).toBe(
			'Say "hi".\nUse C:\\tmp when asked.',
		);
	});

	it('skipPermissions: the bypass flag, and every configured MCP server approved', () => {
		const launch = codex.launchCommand(
			launchOptions({
				profile: {
					name: 'yolo',
					skipPermissions: true,
					mcpServers: { docs: { command: 'd', args: [], env: {} } },
				},
			}),
		);
		expect(launch.command).toContain('--dangerously-bypass-approvals-and-sandbox');
		expect(overrides(launch.command)).toContain('mcp_servers.docs.default_tools_approval_mode="approve"');
	});
});

describe('codexProvider input tuning', () => {
	it('is realistic for Codex', () => {
		expect(codex.input.submitDelayMs).toBeGreaterThan(0);
		expect(codex.input.submitDelayMs).toBeLessThanOrEqual(1000);
		expect(codex.input.enterCount).toBe(1);
		expect(codex.input.acceptsInputWhileProcessing).toBe(false);
		expect(codex.input.exit).toEqual({ text: '/quit' });
		expect(codex.initTimeoutMs).toBeGreaterThanOrEqual(20_000);
	});
});

describe('codexProvider.detect from its own reports (OSC 7501)', () => {
	it.each([
		['working', report('working'), idle, 'processing', 'codex.working'],
		['done', report('working') + report('done'), idle, 'completed', 'codex.done'],
		[
			'blocked on an approval',
			report('working') + report('blocked:kind=permission'),
			idle,
			'waiting_user_answer',
			'codex.blocked',
		],
		['failed', report('working') + report('error'), idle, 'error', 'codex.error'],
		['idle after an interrupted turn', report('working') + report('idle'), afterInput, 'idle', 'codex.idle'],
		[
			'idle as the composer takes a paste after input',
			report('idle'),
			afterInput,
			'unknown',
			'codex.input-pending',
		],
		[
			'the title lost its spinner, "done" not yet sent',
			report('working') + title('⠋ repo') + title('repo'),
			afterInput,
			'unknown',
			'codex.finishing',
		],
		[
			'a dialog drawn after the last report',
			report('idle') + screen('  Trust this folder? Codex can read…', '› 1. Trust and continue'),
			idle,
			'waiting_user_answer',
			'codex.dialog',
		],
	] as const)('%s', (_name, buffer, context, status, rule) => {
		expect(codex.detect(buffer, context)).toMatchObject({ status, rule });
	});

	it('reads an old "Worked for" repainted on screen as nothing: the report says working', () => {
		const buffer =
			report('working') + screen('› one', '• Reply one', '  Worked for 2s • 10:00', '› two', ...composer);
		expect(codex.detect(buffer, afterInput).status).toBe('processing');
	});
});

describe('codexProvider.detect from the screen', () => {
	it.each([
		['an empty buffer', '', 'unknown'],
		['the idle composer', screen('  >_ OpenAI Codex (v0.169.0)', ...composer), 'idle'],
		['Working', screen('› hi', '', '• Working (3s • esc to interrupt)', ...composer), 'processing'],
		[
			'a reasoning header instead of Working',
			screen('› hi', '• Planning the fix (9s • esc to interrupt)', ...composer),
			'processing',
		],
		[
			'half a reply, the Working line hidden',
			screen('› hi', '', '• FAKE-REPLY: hal', ...composer),
			'processing',
		],
		[
			'half a reply under an older finished turn',
			screen(
				'› one',
				'• Reply one',
				'',
				'  Worked for 2s • 10:00',
				'',
				'› two',
				'',
				'• Half of rep',
				...composer,
			),
			'processing',
		],
		[
			'a finished turn',
			screen('› hi', '', '• Reply', '', '  Worked for 3s • 06:27', ...composer),
			'completed',
		],
		[
			'an older finished-turn separator',
			screen('› hi', '• Reply', '─ Worked for 1m 02s ──────', ...composer),
			'completed',
		],
		[
			'an approval',
			screen(
				'› hi',
				'• Running rm -rf build',
				'  Would you like to run the following command?',
				'› 1. Yes, proceed (y)',
				'  Press enter to confirm or esc to cancel',
			),
			'waiting_user_answer',
		],
		['an error', screen('› hi', '', '■ unexpected status 401 Unauthorized', ...composer), 'error'],
		[
			'an interrupted turn',
			screen('› hi', '', '■ Conversation interrupted - tell the model what to do differently', ...composer),
			'idle',
		],
		[
			'an update offer',
			screen(
				'✨ Update available! 0.168.0 -> 0.169.0',
				'› 1. Update now',
				'  2. Skip',
				'  Press enter to continue',
			),
			'waiting_user_answer',
		],
		['an older Codex, finished', screen('You Fix it', 'assistant: Fixed.', '', '❯ '), 'completed'],
		['an older Codex, still answering', screen('You Fix it', 'assistant: Fixing'), 'processing'],
	] as const)('%s', (_name, buffer, status) => {
		expect(codex.detect(buffer, idle).status).toBe(status);
	});

	it('joins the words of a raw repaint that moves the cursor within a row', () => {
		const buffer = frame(
			[30, 3, 'Would'],
			[30, 9, 'you'],
			[30, 13, 'like'],
			[30, 18, 'to'],
			[30, 21, 'run'],
			[30, 25, 'the'],
			[30, 29, 'following'],
			[30, 39, 'command?'],
		);
		expect(codex.detect(buffer, idle)).toMatchObject({
			status: 'waiting_user_answer',
			line: 'Would you like to run the following command?',
		});
	});

	it('ignores a frame still arriving (no end of its synchronized update yet)', () => {
		const done = frame([3, 1, '• Reply'], [5, 3, 'Worked for 2s • 10:00']);
		const partial = '\x1b[?2026h\x1b[3;1H› two\x1b[5;1H  Worked for 2s • 10:00';
		const working = frame([3, 1, '› two'], [5, 1, '• Working (0s • esc to interrupt)']);
		expect(codex.detect(done + working + partial, afterInput).status).toBe('processing');
	});

	// The worst mistake is a completed before the turn ends: cut a real turn's stream anywhere.
	it.each(['turn_raw.txt', 'turn_alt_screen_raw.txt'])(
		'%s: never ready before the "done" report, wherever the stream is cut',
		(name) => {
			const raw = fixture(name);
			const end = raw.indexOf('\x1b]7501;state=done');
			expect(end).toBeGreaterThan(0);
			const seen = new Set<string>();
			for (let at = 1; at < end; at++) seen.add(codex.detect(raw.slice(0, at), afterInput).status);
			expect([...seen].sort()).toEqual(['processing', 'unknown']);
			expect(codex.detect(raw, afterInput).status).toBe('completed');
		},
	);

	it('without reports or titles, still never ready before "Worked for"', () => {
		const raw = fixture('turn_raw.txt').replace(/\x1b\](?:0|2|7501);[^\x07\x1b]*(?:\x07|\x1b\\)/g, '');
		const end = raw.indexOf('Worked for');
		const seen = new Set<string>();
		for (let at = 1; at < end; at += 7) seen.add(codex.detect(raw.slice(0, at), afterInput).status);
		expect(seen.has('completed')).toBe(false);
		expect(codex.detect(raw, afterInput).status).toBe('completed');
	});
});

describe('codexProvider.extractLastReply', () => {
	it('returns the last message of the last turn, un-indented, without tool cells, tips or chrome', () => {
		const text = screen(
			'› one',
			'',
			'• Reply one',
			'',
			'  Worked for 2s • 10:00',
			'',
			'› two',
			'  second line of the message',
			'',
			'• Called docs.search({"q":"add"})',
			'  └ 3 results',
			'',
			'• Here is the fix:',
			'',
			'  def add(a, b):',
			'      return a + b',
			'',
			'  • first point',
			'  └ Tip: Use /theme to choose a syntax highlighting theme.',
			'',
			'  Worked for 5s • 10:01',
			...composer,
		);
		expect(codex.extractLastReply(text)).toBe(
			['Here is the fix:', '', 'def add(a, b):', '    return a + b', '', '• first point'].join('\n'),
		);
	});

	it('keeps a reply that scrolled past the screen whole (inline history)', () => {
		const reply = codex.extractLastReply(fixture('completed_long_reply_history.txt'));
		expect(reply.split('\n')[0]).toBe('Here is the long answer.');
		expect(reply).toContain('Line 60 of the explanation.');
		expect(reply).not.toMatch(/Worked for|Ask Codex|shortcuts/);
	});

	it('stops at an approval drawn under the last cell', () => {
		const text = screen(
			'› go',
			'• Running ./deploy.sh',
			'',
			'  Would you like to run the following command?',
			'  $ ./deploy.sh',
			'› 1. Yes, proceed (y)',
		);
		expect(codex.extractLastReply(text)).toBe('Running ./deploy.sh');
	});

	it('reads an older Codex\'s "assistant:" reply', () => {
		expect(codex.extractLastReply(screen('You Hi', 'assistant: Hello.', '', 'Bye.', '', '❯ '))).toBe(
			'Hello.\n\nBye.',
		);
	});

	it.each([
		['an empty screen', ''],
		['the idle composer', screen(...composer)],
		['a message and Working', screen('› hi', '• Working (0s • esc to interrupt)', ...composer)],
		[
			'an older reply above a new message',
			screen('› one', '• Reply one', '  Worked for 2s', '› two', '• Working (1s • esc to interrupt)'),
		],
	])('returns nothing for %s', (_name, text) => {
		expect(codex.extractLastReply(text)).toBe('');
	});
});

describe('codexProvider.initialize', () => {
	const scripted = scriptedInitialize;
	const trust = screen(
		'  Folder access',
		'  Trust this folder? Codex can read, edit, and run files here…',
		'› 1. Trust and continue',
		'  2. Back to Agent Command Center',
		'  enter continue · esc back',
	);

	it('waits past the composer drawn before the trust check, trusts the folder, ends at the idle report', async () => {
		const { context, sent } = scripted([screen(...composer), trust], {
			Enter: screen(...composer) + report('idle'),
		});
		await codex.initialize(context);
		expect(sent).toEqual([['Enter']]);
	});

	it('skips an update offer (never "Update now")', async () => {
		const update = screen(
			'✨ Update available! 0.168.0 -> 0.169.0',
			'› 1. Update now (runs `npm install -g @openai/codex`)',
			'  2. Skip',
			'  3. Skip until next version',
			'  Press enter to continue',
		);
		const { context, sent } = scripted([update], { 'Down Enter': screen(...composer) + report('idle') });
		await codex.initialize(context);
		expect(sent).toEqual([['Down', 'Enter']]);
	});

	it('a Codex without reports: idle after a quiet spell with no dialog', async () => {
		const { context, sent } = scripted([screen(...composer)], {});
		await codex.initialize(context);
		expect(sent).toEqual([]);
	});
});
