import { readFileSync } from 'node:fs';
import { caoToolTimeoutMs } from '../../source/config.js';
import { describe, expect, it } from 'vitest';
import { copilotCliProvider } from '../../source/providers/copilot-cli.js';
import type { DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };
const fixture = (name: string) =>
	readFileSync(new URL(`../../fixtures/captures/copilot_cli/${name}`, import.meta.url), 'utf8');

describe('copilotCliProvider.launchCommand', () => {
	it('starts plain copilot with cao as an extra MCP server that never asks, and nothing else', () => {
		const launch = copilotCliProvider.launchCommand(launchOptions());
		const config = '/home/me/.cao/terminals/ab12cd34/copilot-mcp.json';
		expect(launch.command).toEqual(['copilot', '--additional-mcp-config', `@${config}`, '--allow-tool=cao']);
		expect(launch.env).toEqual({});
		expect(launch.files).toHaveLength(1);
		expect(JSON.parse(launch.files?.[0]?.content ?? '')).toEqual({
			mcpServers: {
				cao: {
					type: 'local',
					command: '/usr/bin/node',
					args: ['/opt/cao-tui/dist/cli.js', 'mcp-server'],
					env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
					tools: ['*'],
					// A handoff may take a day.
					timeout: caoToolTimeoutMs,
				},
			},
		});
	});

	it('maps a profile: model, instructions file, allowed tools, extra MCP servers', () => {
		const launch = copilotCliProvider.launchCommand(
			launchOptions({
				profile: {
					name: 'developer',
					model: 'gpt-5.4',
					systemPrompt: 'You are the developer.\n',
					allowedTools: ['Bash', 'fs_write', 'Read', '@github', 'mcp__jira__search', 'shell(git:*)'],
					mcpServers: { jira: { command: 'jira-mcp', args: ['--stdio'], env: { TOKEN: 'x' } } },
				},
				env: { COPILOT_CUSTOM_INSTRUCTIONS_DIRS: '/team/instructions' },
				args: ['--no-color'],
			}),
		);
		const dir = '/home/me/.cao/terminals/ab12cd34';
		expect(launch.command).toEqual([
			'copilot',
			'--model',
			'gpt-5.4',
			'--additional-mcp-config',
			`@${dir}/copilot-mcp.json`,
			'--allow-tool=cao',
			'--allow-tool=shell',
			'--allow-tool=write',
			'--allow-tool=github',
			'--allow-tool=jira(search)',
			'--allow-tool=shell(git:*)',
			'--no-color',
		]);
		expect(launch.env).toEqual({
			COPILOT_CUSTOM_INSTRUCTIONS_DIRS: `/team/instructions,${dir}/copilot-instructions`,
		});
		expect(launch.files).toContainEqual({
			path: `${dir}/copilot-instructions/.github/instructions/cao-profile.instructions.md`,
			content: 'You are the developer.\n',
		});
		const mcp = JSON.parse(
			launch.files?.find((file) => file.path.endsWith('copilot-mcp.json'))?.content ?? '',
		);
		expect(Object.keys(mcp.mcpServers)).toEqual(['cao', 'jira']);
		expect(mcp.mcpServers.jira).toEqual({
			type: 'local',
			command: 'jira-mcp',
			args: ['--stdio'],
			env: { TOKEN: 'x' },
			tools: ['*'],
		});
	});

	it('maps skipPermissions to --yolo, and an allow-everything list to --allow-all-tools', () => {
		const yolo = copilotCliProvider.launchCommand(
			launchOptions({ profile: { name: 'p', skipPermissions: true, allowedTools: ['Bash'] } }),
		);
		expect(yolo.command).toContain('--yolo');
		expect(yolo.command.filter((arg) => arg.startsWith('--allow-tool'))).toEqual([]);
		const all = copilotCliProvider.launchCommand(
			launchOptions({ profile: { name: 'p', allowedTools: ['*'] } }),
		);
		expect(all.command).toContain('--allow-all-tools');
		expect(all.command).not.toContain('--yolo');
	});
});

describe('copilotCliProvider input tuning', () => {
	it('pastes, waits, sends one Enter, quits with /exit', () => {
		const { input, initTimeoutMs } = copilotCliProvider;
		expect(input.submitDelayMs).toBeGreaterThanOrEqual(100);
		expect(input.enterCount).toBe(1);
		expect(input.acceptsInputWhileProcessing).toBe(true);
		expect(input.exit).toEqual({ text: '/exit' });
		expect(initTimeoutMs).toBeGreaterThanOrEqual(30_000);
	});
});

describe('copilotCliProvider.detect', () => {
	const footer = ' ← open sidebar · Interactive · Manual Approval · / commands · ? help · tab next tab';
	const inputArea = [' ~/project', '─'.repeat(40), '❯', '─'.repeat(40)];
	const screen = (...rows: string[]) => [...rows, ''].join('\n');

	it('says unknown on an empty buffer', () => {
		expect(copilotCliProvider.detect('', idle)).toEqual({
			status: 'unknown',
			rule: 'copilot_cli.none',
			line: '',
		});
	});

	it('reads the working footer even half drawn', () => {
		const raw = screen(' ❯ hi', '', ...inputArea, ' ◎nteractive · Manual Approval · @ files · # issues');
		expect(copilotCliProvider.detect(raw, afterInput)).toMatchObject({
			status: 'processing',
			rule: 'copilot_cli.working',
		});
	});

	it('does not call a retry notice a reply', () => {
		const text = screen(
			' ❯ hi',
			'',
			' ● Response was interrupted due to a server error. Retrying...',
			'',
			...inputArea,
			footer,
		);
		expect(copilotCliProvider.detect(text, afterInput).status).toBe('unknown');
	});

	it('takes the last entry of the turn: a failure after a reply is an error', () => {
		const text = screen(
			' ❯ hi',
			'',
			' ● Let me check.',
			'',
			' ✗ Model call failed: rate limited',
			'',
			...inputArea,
			footer,
		);
		expect(copilotCliProvider.detect(text, idle)).toEqual({
			status: 'error',
			rule: 'copilot_cli.failure',
			line: ' ✗ Model call failed: rate limited',
		});
	});

	it('a start-up screen with notices is idle, not completed', () => {
		expect(copilotCliProvider.detect(fixture('copilot_idle.txt'), idle).status).toBe('idle');
	});

	it('never shows completed while a real turn streams, and never idle after input', () => {
		const raw = fixture('copilot_engine_turn_raw.txt');
		const end = raw.lastIndexOf('open sidebar');
		const seen = new Set<string>();
		for (let at = 1; at < end; at++) seen.add(copilotCliProvider.detect(raw.slice(0, at), afterInput).status);
		expect([...seen].sort()).toEqual(['processing', 'unknown']);
		expect(copilotCliProvider.detect(raw, afterInput).status).toBe('completed');
	});
});

describe('copilotCliProvider.extractLastReply', () => {
	it('returns the last message of the turn without tool calls, scrollbar or chrome', () => {
		expect(copilotCliProvider.extractLastReply(fixture('copilot_tool_then_reply.txt'))).toBe(
			'Here is the code:\n\nprint("hello")\n\nDone. tool said: <shellId: 0 completed with exit code 0>',
		);
	});

	it('keeps what is left of a reply that scrolled past the screen', () => {
		const reply = copilotCliProvider.extractLastReply(fixture('copilot_long_completed.txt'));
		expect(reply.split('\n')[0]).toBe('const value1 = 1; // line 1');
		expect(reply.endsWith('That is all. 2026-11-24T06:34:05.64')).toBe(true);
	});

	it('returns nothing for a screen with no turn', () => {
		const text = [' ❯ hi', '', ' ~/project', '─'.repeat(10), '❯', '─'.repeat(10), ' ← open sidebar'].join(
			'\n',
		);
		expect(copilotCliProvider.extractLastReply(text)).toBe('');
	});
});

describe('copilotCliProvider.initialize', () => {
	it('trusts the folder for this session only ("1. Yes"), then waits for the prompt', async () => {
		const dialog = fixture('copilot_trust_dialog_raw.txt');
		const started = fixture('copilot_startup_idle_raw.txt');
		const { context, sent } = scriptedInitialize([dialog], { '1': started.slice(dialog.length) });
		await copilotCliProvider.initialize(context);
		expect(sent).toEqual([['1']]);
	});
});
