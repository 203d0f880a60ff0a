import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kiroCliProvider } from '../../source/providers/kiro-cli.js';
import type { AgentProfile, DetectContext, LaunchCommand } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const idle: DetectContext = { afterInput: false, profile: 'developer' };
const afterInput: DetectContext = { afterInput: true, profile: 'developer' };

const rule = '─'.repeat(60);
const header = 'developer · auto · ◔ 4%                ~/project · (main)';
const placeholder = '›  ask a question or describe a task ↵';
const inputArea = [rule, header, '', placeholder];
const screen = (...rows: string[]) => rows.join('\n');

const agentOf = (launch: LaunchCommand) => {
	const [file] = launch.files ?? [];
	return { path: file?.path, json: JSON.parse(file?.content ?? 'null') as Record<string, unknown> };
};

const profile: AgentProfile = {
	name: 'developer',
	model: 'claude-sonnet-4.5',
	systemPrompt: 'You review code.',
	allowedTools: ['Bash', 'fs_read', 'grep', 'mcp__github__get_issue'],
	mcpServers: { github: { command: 'gh-mcp', args: [], env: {} } },
};

describe('kiroCliProvider.launchCommand', () => {
	it('starts kiro-cli chat in its TUI with the agent, model and trusted tools', () => {
		const launch = kiroCliProvider.launchCommand(launchOptions({ profile, args: ['--resume'] }));
		expect(launch.command).toEqual([
			'kiro-cli',
			'chat',
			'--agent',
			'developer',
			'--model',
			'claude-sonnet-4.5',
			'--trust-tools=@cao,shell,read,grep,@github/get_issue',
			'--resume',
		]);
		// Not --legacy-ui: Kiro's v1 engine shows the model no MCP tools.
		expect(launch.command).not.toContain('--legacy-ui');
	});

	it('points KIRO_HOME into the config folder, where the agent file goes', () => {
		const launch = kiroCliProvider.launchCommand(launchOptions({ profile }));
		expect(launch.env).toEqual({ KIRO_HOME: '/home/me/.cao/terminals/ab12cd34/kiro-home' });
		const { path, json } = agentOf(launch);
		expect(path).toBe('kiro-home/agents/developer.json');
		expect(json).toMatchObject({
			name: 'developer',
			prompt: 'You review code.',
			tools: ['*'],
			allowedTools: ['@cao'],
			includeMcpJson: false,
			mcpServers: { github: { command: 'gh-mcp', args: [], env: {} }, cao: { command: '/usr/bin/node' } },
		});
		expect(json).not.toHaveProperty('useLegacyMcpJson');
	});

	it('maps skipPermissions to --trust-all-tools', () => {
		const { command } = kiroCliProvider.launchCommand(
			launchOptions({ profile: { ...profile, skipPermissions: true } }),
		);
		expect(command).toEqual([
			'kiro-cli',
			'chat',
			'--agent',
			'developer',
			'--model',
			'claude-sonnet-4.5',
			'--trust-all-tools',
		]);
	});

	it('without a profile: the "cao" agent with cao only', () => {
		const launch = kiroCliProvider.launchCommand(launchOptions());
		expect(launch.command).toEqual(['kiro-cli', 'chat', '--agent', 'cao', '--trust-tools=@cao']);
		const { path, json } = agentOf(launch);
		expect(path).toBe('kiro-home/agents/cao.json');
		expect(Object.keys(json.mcpServers as object)).toEqual(['cao']);
		expect(json).not.toHaveProperty('prompt');
	});
});

describe('kiroCliProvider input tuning', () => {
	it('two Enters a second after the paste, /quit to leave, a long start', () => {
		expect(kiroCliProvider.input).toEqual({
			submitDelayMs: 1000,
			enterCount: 2,
			acceptsInputWhileProcessing: false,
			exit: { text: '/quit' },
		});
		expect(kiroCliProvider.initTimeoutMs).toBeGreaterThanOrEqual(60_000);
	});
});

describe('kiroCliProvider.detect', () => {
	const oldTurn = [rule, '  What is 2 + 2?', '• 4', '▸ Credits: 0.05 • Time: 1s'];

	it.each([
		['the TUI at rest', screen(...inputArea), idle, 'idle', 'kiro_cli.input'],
		[
			'input went in, the TUI unchanged yet',
			screen(...inputArea),
			afterInput,
			'processing',
			'kiro_cli.turn-pending',
		],
		[
			'a turn ended by its credits',
			screen(...oldTurn, ...inputArea),
			afterInput,
			'completed',
			'kiro_cli.credits',
		],
		[
			'busy text in the input area beats old credits',
			screen(...oldTurn, '  Next one', rule, header, '', ' ⠙ Thinking... (esc to cancel)'),
			afterInput,
			'processing',
			'kiro_cli.working',
		],
		[
			'busy text inside the input line',
			screen(...oldTurn, '  Next one', rule, header, '', '›  ⠙ Thinking... (esc to cancel)'),
			afterInput,
			'processing',
			'kiro_cli.working',
		],
		[
			'busy text drawn before the input area came back is stale',
			screen(...oldTurn.slice(0, 3), ' ⠙ Thinking... (esc to cancel)', oldTurn[3] as string, ...inputArea),
			idle,
			'completed',
			'kiro_cli.credits',
		],
		[
			'text typed in the input under a finished turn',
			screen(...oldTurn, rule, header, '', '› and now th'),
			idle,
			'completed',
			'kiro_cli.credits',
		],
		[
			'a notice under the credits is not a new turn',
			screen(...oldTurn, '● 1 MCP failure — see /mcp', ...inputArea),
			idle,
			'completed',
			'kiro_cli.credits',
		],
		[
			'a selector still open after a tool call',
			screen(rule, '  rm it', '● Shell rm -rf build', '', ' ❯ Yes, single permission', '   No (Tab to edit)'),
			idle,
			'waiting_user_answer',
			'kiro_cli.tui-permission',
		],
	] as const)('%s', (_name, buffer, context, status, expectedRule) => {
		expect(kiroCliProvider.detect(buffer, context)).toMatchObject({ status, rule: expectedRule });
	});
});

describe('kiroCliProvider.extractLastReply', () => {
	it('old TUIs: the reply follows the echoed message', () => {
		const text = screen(
			rule,
			'  Show me the code',
			'',
			'  Here it is:',
			'',
			'  ```js',
			'  let a = 1;',
			'  ```',
			'',
			'▸ Credits: 0.3 • Time: 2s',
			...inputArea,
		);
		expect(kiroCliProvider.extractLastReply(text)).toBe('Here it is:\n\n```js\nlet a = 1;\n```');
	});

	it('keeps the first paragraph when the message scrolled off the top', () => {
		const text = screen(
			'  end of a long reply.',
			'',
			'  Last paragraph.',
			'▸ Credits: 0.3 • Time: 2s',
			...inputArea,
		);
		expect(kiroCliProvider.extractLastReply(text)).toBe('end of a long reply.\n\nLast paragraph.');
	});

	it('the last response after the last tool call, bullets and indent removed', () => {
		const text = screen(
			rule,
			'  Run ls',
			'• Let me look.',
			'● Shell ls',
			'    ╰ output:',
			'        a.txt',
			'',
			'• One file:',
			'  - a.txt',
			'▸ Credits: 0.1 • Time: 3s',
			...inputArea,
		);
		expect(kiroCliProvider.extractLastReply(text)).toBe('One file:\n- a.txt');
	});
});

describe('kiroCliProvider.initialize', () => {
	const trustDialog = screen(
		' Warning: Kiro is running in trust all tools mode',
		'',
		' ❯ No, exit',
		'   Yes, I accept',
		"   Yes, and don't ask again",
		'',
		' esc to cancel · ↑↓ to navigate · ↵ to select',
	);

	it('accepts the trust-all-tools warning for this session only, then waits for the input area', async () => {
		const { context, sent } = scriptedInitialize([trustDialog], {
			'Down Enter': `\n${screen(...inputArea)}`,
		});
		await kiroCliProvider.initialize(context);
		expect(sent).toEqual([['Down', 'Enter']]);
	});
});

describe('kiroCliProvider on raw turns as they arrive', () => {
	const fixture = (name: string) =>
		readFileSync(new URL(`../../fixtures/captures/kiro_cli/${name}`, import.meta.url), 'utf8');
	const statusesBefore = (raw: string, end: number) => {
		const seen = new Set<string>();
		for (let at = 1; at < end; at++) seen.add(kiroCliProvider.detect(raw.slice(0, at), afterInput).status);
		return [...seen].sort();
	};

	it('TUI: never reads ready before the credits line, wherever the stream is cut', () => {
		const raw = fixture('kiro_tui_completed_raw.txt');
		expect(statusesBefore(raw, raw.indexOf('▸ Credits'))).toEqual(['processing', 'unknown']);
		expect(kiroCliProvider.detect(raw, afterInput).status).toBe('completed');
	});

	it('classic UI: never reads ready before the final prompt', () => {
		const raw = fixture('kiro_legacy_turn_raw.txt');
		expect(statusesBefore(raw, raw.lastIndexOf('\r'))).toEqual(['processing', 'unknown']);
		expect(kiroCliProvider.detect(raw, afterInput).status).toBe('completed');
	});
});
