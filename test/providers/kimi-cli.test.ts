import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kimiCliProvider } from '../../source/providers/kimi-cli.js';
import type { DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };
const ownFixture = (name: string) =>
	readFileSync(new URL(`../../fixtures/captures/kimi_cli/${name}`, import.meta.url), 'utf8');

/** The newer UI's bottom: the input box and the toolbar, as tmux prints them. */
const inputBox = [
	'',
	`── input ${'─'.repeat(60)}`,
	'',
	'',
	'─'.repeat(70),
	'yolo  agent (Kimi-k2.6 ●)  ~/shop  @: mention files | ctrl-x: toggle mode',
	`${' '.repeat(44)}context: 4.6% (12.1k/262.1k)`,
];
const screen = (...rows: string[]) => [...rows, ''].join('\n');

describe('kimiCliProvider.launchCommand', () => {
	it('starts kimi with cao in an MCP config file, no update check, nothing else', () => {
		const launch = kimiCliProvider.launchCommand(launchOptions());
		const config = '/home/me/.cao/terminals/ab12cd34/kimi-mcp.json';
		expect(launch.command).toEqual(['kimi', '--mcp-config-file', config]);
		expect(launch.env).toEqual({ KIMI_CLI_NO_AUTO_UPDATE: '1' });
		expect(launch.files).toEqual([
			{
				path: config,
				content: `${JSON.stringify(
					{
						mcpServers: {
							cao: {
								command: '/usr/bin/node',
								args: ['/opt/cao-tui/dist/cli.js', 'mcp-server'],
								env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
							},
						},
					},
					null,
					2,
				)}\n`,
			},
		]);
	});

	it('maps a profile: agent file extending the default agent, model, extra MCP servers', () => {
		const launch = kimiCliProvider.launchCommand(
			launchOptions({
				profile: {
					name: 'developer',
					model: 'kimi-for-coding',
					systemPrompt: 'You are the developer.\nSay "done" when done.\n',
					allowedTools: ['Bash', 'Write'],
					mcpServers: { jira: { command: 'jira-mcp', args: [], env: {} } },
				},
				args: ['--thinking'],
			}),
		);
		const dir = '/home/me/.cao/terminals/ab12cd34';
		expect(launch.command).toEqual([
			'kimi',
			'--agent-file',
			`${dir}/kimi-agent.yaml`,
			'--model',
			'kimi-for-coding',
			'--mcp-config-file',
			`${dir}/kimi-mcp.json`,
			'--thinking',
		]);
		expect(launch.files?.[0]).toEqual({
			path: `${dir}/kimi-agent.yaml`,
			content: [
				'version: 1',
				'agent:',
				'  extend: default',
				'  system_prompt_args:',
				'    ROLE_ADDITIONAL: "You are the developer.\\nSay \\"done\\" when done."',
				'',
			].join('\n'),
		});
		const mcp = JSON.parse(launch.files?.[1]?.content ?? '');
		expect(Object.keys(mcp.mcpServers)).toEqual(['cao', 'jira']);
		// No per-tool approval in Kimi: a list of tools does not turn yolo on.
		expect(launch.command).not.toContain('--yolo');
	});

	it('maps skipPermissions, or an allow-everything list, to --yolo', () => {
		for (const profile of [
			{ name: 'p', skipPermissions: true },
			{ name: 'p', allowedTools: ['*'] },
		]) {
			expect(kimiCliProvider.launchCommand(launchOptions({ profile })).command).toContain('--yolo');
		}
	});
});

describe('kimiCliProvider input tuning', () => {
	it('pastes, waits, sends one Enter, quits with /exit', () => {
		const { input, initTimeoutMs } = kimiCliProvider;
		expect(input.submitDelayMs).toBeGreaterThanOrEqual(100);
		expect(input.enterCount).toBe(1);
		expect(input.acceptsInputWhileProcessing).toBe(true);
		expect(input.exit).toEqual({ text: '/exit' });
		expect(initTimeoutMs).toBeGreaterThanOrEqual(20_000);
	});
});

describe('kimiCliProvider.detect', () => {
	it('says unknown on an empty buffer', () => {
		expect(kimiCliProvider.detect('', idle)).toEqual({ status: 'unknown', rule: 'kimi_cli.none', line: '' });
	});

	it('reads a tool call running in the live area as processing', () => {
		const text = screen('✨ list files', '', '⠙ Using Shell (ls -la)', ...inputBox);
		expect(kimiCliProvider.detect(text, idle)).toEqual({
			status: 'processing',
			rule: 'kimi_cli.spinner',
			line: '⠙ Using Shell (ls -la)',
		});
	});

	it('reads the compact thinking indicator as processing', () => {
		const text = screen('✨ hi', '', 'Thinking ..  3s · 120 tokens · 40 tok/s', ...inputBox);
		expect(kimiCliProvider.detect(text, idle).status).toBe('processing');
	});

	it('just after sending: the prompt echoed, no output yet, is processing, not idle', () => {
		const text = screen('✨ hi', ...inputBox);
		expect(kimiCliProvider.detect(text, afterInput)).toEqual({
			status: 'processing',
			rule: 'kimi_cli.turn-started',
			line: '✨ hi',
		});
	});

	it('an error after an earlier reply in the same turn is an error', () => {
		const text = screen('✨ hi', '', '• Looking.', '', 'Network connection failed: timed out', ...inputBox);
		expect(kimiCliProvider.detect(text, idle)).toMatchObject({ status: 'error', rule: 'kimi_cli.error' });
	});

	it('a reply after an earlier error of the same session is completed', () => {
		const text = screen(
			'✨ first',
			'LLM provider error: Error code: 500',
			'✨ second',
			'',
			'• Fine now.',
			...inputBox,
		);
		expect(kimiCliProvider.detect(text, idle)).toMatchObject({ status: 'completed', line: '• Fine now.' });
	});

	it('never shows completed while the reply streams, and never idle after input', () => {
		const raw = ownFixture('kimi_tui_completed_raw.txt');
		const end = ownFixture('kimi_tui_streaming_raw.txt').length;
		const seen = new Set<string>();
		for (let at = 1; at <= end; at += 3)
			seen.add(kimiCliProvider.detect(raw.slice(0, at), afterInput).status);
		expect([...seen].sort()).toEqual(['processing', 'unknown']);
		expect(kimiCliProvider.detect(raw, afterInput).status).toBe('completed');
	});
});

describe('kimiCliProvider.extractLastReply', () => {
	it('returns the last output block, un-indented, without tool calls or chrome', () => {
		const text = screen(
			'✨ what is here?',
			'',
			'• Used Shell (ls)',
			'  a.txt',
			'',
			'• Two things:',
			'',
			'  ```',
			'  a.txt',
			'  ```',
			'',
			'Thought for 2s · 56 tokens',
			...inputBox,
		);
		expect(kimiCliProvider.extractLastReply(text)).toBe('Two things:\n\n```\na.txt\n```');
	});

	it('returns nothing when the turn has no text yet', () => {
		expect(kimiCliProvider.extractLastReply(screen('✨ hi', '', '🌓', ...inputBox))).toBe('');
	});

	it('reads the older UI, where code is not indented', () => {
		const text = screen('💫 code?', '• Here:', '', 'def f():', '    return 1', '💫');
		expect(kimiCliProvider.extractLastReply(text)).toBe('Here:\n\ndef f():\n    return 1');
	});
});

describe('kimiCliProvider.initialize', () => {
	it('answers nothing and returns once the input box shows', async () => {
		// The real start-up stream (loading spinners, welcome box, input box), before anything is typed.
		const typed = ownFixture('kimi_tui_typed_not_sent_raw.txt');
		const started = typed.slice(0, typed.indexOf(' Create a Python function'));
		const loading = started.slice(0, started.indexOf('Restoring conversation'));
		const { context, sent } = scriptedInitialize([loading, started.slice(loading.length)], {});
		await kimiCliProvider.initialize(context);
		expect(sent).toEqual([]);
	});
});
