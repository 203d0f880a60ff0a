import { readFileSync } from 'node:fs';
import { caoToolTimeoutMs } from '../../source/config.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kiroCliProvider } from '../../source/providers/kiro-cli.js';
import { qCliProvider } from '../../source/providers/q-cli.js';
import type { AgentProfile, DetectContext, LaunchCommand } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';

const E = '\x1b';
const idle: DetectContext = { afterInput: false, profile: 'developer' };
const afterInput: DetectContext = { afterInput: true, profile: 'developer' };
/** The prompt as Q colours it. */
const prompt = `${E}[38;5;14m[developer] ${E}[38;5;13m> ${E}[39m`;
const green = (text: string) => `${E}[38;5;10m> ${E}[39m${text}`;

const agentOf = (launch: LaunchCommand) => {
	const [file] = launch.files ?? [];
	return { path: file?.path, json: JSON.parse(file?.content ?? 'null') as Record<string, unknown> };
};

const profile: AgentProfile = {
	name: 'developer',
	model: 'claude-sonnet-4',
	systemPrompt: 'You write code.\nKeep it short.',
	allowedTools: ['Bash', 'fs_read', 'Edit', 'mcp__github__get_issue', 'jira/search', '@linear'],
	mcpServers: { github: { command: 'gh-mcp', args: ['--stdio'], env: { GH_TOKEN: 'x' } } },
};

describe('qCliProvider.launchCommand', () => {
	it('starts q chat with the profile as an agent, its model and its trusted tools', () => {
		const launch = qCliProvider.launchCommand(launchOptions({ profile, args: ['--wrap', 'never'] }));
		expect(launch.command).toEqual([
			'q',
			'chat',
			'--agent',
			'developer-ab12cd34',
			'--model',
			'claude-sonnet-4',
			'--trust-tools=@cao,execute_bash,fs_read,fs_write,@github/get_issue,@jira/search,@linear',
			'--wrap',
			'never',
		]);
		expect(launch.env).toEqual({});
	});

	it('writes the agent file with the prompt, cao and the profile servers, and no global mcp.json', () => {
		const { path, json } = agentOf(qCliProvider.launchCommand(launchOptions({ profile })));
		expect(path).toBe('amazonq/cli-agents/developer-ab12cd34.json');
		expect(json).toMatchObject({
			name: 'developer-ab12cd34',
			prompt: 'You write code.\nKeep it short.',
			tools: ['*'],
			allowedTools: ['@cao'],
			useLegacyMcpJson: false,
			mcpServers: {
				github: { command: 'gh-mcp', args: ['--stdio'], env: { GH_TOKEN: 'x' } },
				cao: {
					command: '/usr/bin/node',
					args: ['/opt/cao-tui/dist/cli.js', 'mcp-server'],
					env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
					// A handoff may take a day (Q's default: 2 minutes).
					timeout: caoToolTimeoutMs,
				},
			},
		});
		// Q rejects unknown fields in older versions: the model goes by flag, not in the file.
		expect(json).not.toHaveProperty('model');
		expect(json).not.toHaveProperty('includeMcpJson');
	});

	it('maps skipPermissions, and an allowed "*", to --trust-all-tools', () => {
		for (const changed of [{ skipPermissions: true }, { allowedTools: ['*'] }]) {
			const { command } = qCliProvider.launchCommand(launchOptions({ profile: { ...profile, ...changed } }));
			expect(command).toContain('--trust-all-tools');
			expect(command.some((arg) => arg.startsWith('--trust-tools'))).toBe(false);
		}
	});

	it('without a profile: the "cao" agent, cao trusted, no prompt or model', () => {
		const launch = qCliProvider.launchCommand(launchOptions());
		expect(launch.command).toEqual(['q', 'chat', '--agent', 'cao-ab12cd34', '--trust-tools=@cao']);
		const { path, json } = agentOf(launch);
		expect(path).toBe('amazonq/cli-agents/cao-ab12cd34.json');
		expect(json).not.toHaveProperty('prompt');
		expect(Object.keys(json.mcpServers as object)).toEqual(['cao']);
	});

	it('keeps agent names file-safe, and cao the server named "cao"', () => {
		const launch = qCliProvider.launchCommand(
			launchOptions({
				profile: { name: 'team/lead dev', mcpServers: { cao: { command: 'evil', args: [], env: {} } } },
			}),
		);
		expect(launch.command.slice(2, 4)).toEqual(['--agent', 'team_lead_dev-ab12cd34']);
		const { path, json } = agentOf(launch);
		expect(path).toBe('amazonq/cli-agents/team_lead_dev-ab12cd34.json');
		expect((json.mcpServers as Record<string, { command: string }>).cao?.command).toBe('/usr/bin/node');
	});

	it('names the agent after the terminal too, and links its file where Q looks, under the HOME Q gets', () => {
		// Two terminals of one profile: each agent file carries its own terminal's id.
		const first = qCliProvider.launchCommand(launchOptions({ profile, env: { HOME: '/home/q' } }));
		const second = qCliProvider.launchCommand(
			launchOptions({ profile, env: { HOME: '/home/q' }, terminalId: 'ef56ab78' }),
		);
		expect(first.links).toEqual([
			{
				path: 'amazonq/cli-agents/developer-ab12cd34.json',
				target: '/home/q/.aws/amazonq/cli-agents/developer-ab12cd34.json',
			},
		]);
		expect(second.links?.[0]?.target).toBe('/home/q/.aws/amazonq/cli-agents/developer-ef56ab78.json');
		expect(second.command.slice(2, 4)).toEqual(['--agent', 'developer-ef56ab78']);
		// The link points at one of the launch files.
		expect(first.files?.map((file) => file.path)).toContain(first.links?.[0]?.path);
	});

	it("links under the engine's home when the CLI's environment has no HOME", () => {
		const { links } = qCliProvider.launchCommand(launchOptions({ env: {} }));
		expect(links?.[0]?.target).toBe(join(homedir(), '.aws/amazonq/cli-agents/cao-ab12cd34.json'));
	});
});

describe('qCliProvider input tuning', () => {
	it('submits with one Enter after a short pause, quits with /quit', () => {
		expect(qCliProvider.input).toEqual({
			submitDelayMs: 300,
			enterCount: 1,
			acceptsInputWhileProcessing: false,
			exit: { text: '/quit' },
		});
		expect(qCliProvider.initTimeoutMs).toBeGreaterThanOrEqual(30_000);
	});
});

describe('qCliProvider.detect', () => {
	const turn = (input: string, body: string) => `[developer] > ${input}\n\n${body}\n\n`;

	it.each([
		['an empty buffer', '', idle, 'unknown', 'q_cli.none'],
		[
			'the prompt of another agent (swapped) still reads as a prompt',
			'[reviewer] 2% > \n',
			idle,
			'idle',
			'q_cli.prompt',
		],
		[
			'a dimmed hint on the prompt is not typed text',
			`${green('Hi!')}\n\n${prompt}How can I help?`,
			afterInput,
			'completed',
			'q_cli.reply-then-prompt',
		],
		[
			'input sent, the prompt redrawn with nothing above it yet',
			`\r${E}[K${prompt}`,
			afterInput,
			'processing',
			'q_cli.turn-pending',
		],
		[
			'text typed at the prompt, not sent: the turn above decides',
			turn('hi', '> Hello!') + '[developer] > next question',
			idle,
			'completed',
			'q_cli.reply-then-prompt',
		],
		[
			'a prompt redrawn under the reply (hint, typing) is one prompt',
			turn('hi', '> Hello!') + `\r${E}[K${prompt}\r${E}[K${prompt}How can I help?`,
			afterInput,
			'completed',
			'q_cli.reply-then-prompt',
		],
		[
			'the permission question on the prompt line',
			`${green('I need to run a command.')}\n\nAllow this action? [y/n/t]:${E}[39m ${prompt}`,
			idle,
			'waiting_user_answer',
			'q_cli.permission',
		],
		[
			'the answer typed at the permission prompt and sent',
			turn('rm it', "> I'll remove it.") + "Allow this action? Use 't' to trust. [y/n/t]:\n\n[developer] > y",
			afterInput,
			'processing',
			'q_cli.input-sent',
		],
		[
			'an error in an older turn does not count',
			turn('a', 'Amazon Q is having trouble responding right now') +
				turn('b', '> Fine now.') +
				'[developer] > ',
			idle,
			'completed',
			'q_cli.reply-then-prompt',
		],
		[
			'a slash command with no model reply is idle',
			turn('/tools', 'Tool              Permission\nfs_read           * trusted') + '[developer] > ',
			afterInput,
			'idle',
			'q_cli.prompt',
		],
	] as const)('%s', (_name, buffer, context, status, rule) => {
		expect(qCliProvider.detect(buffer, context)).toMatchObject({ status, rule });
	});

	describe("the terminal's own agent name in the prompt", () => {
		// A reply quoting a prompt-like line: only the terminal's own prompt may end the turn.
		const quoting = (agent: string) =>
			`[${agent}] > hi\n\n> Here is the log:\n[info] > started\nAll done.\n\n[${agent}] 3% > `;

		it("reads `[profile-id] >` as the profile's prompt", () => {
			expect(qCliProvider.detect(`[developer-ab12cd34] 16% λ > \n`, idle)).toMatchObject({
				status: 'idle',
				rule: 'q_cli.prompt',
			});
			expect(qCliProvider.detect(quoting('developer-ab12cd34'), idle)).toEqual({
				status: 'completed',
				rule: 'q_cli.reply-then-prompt',
				line: '> Here is the log:',
			});
			expect(
				qCliProvider.detect(quoting('team_lead_dev-0f0f0f0f'), { ...idle, profile: 'team/lead dev' }),
			).toMatchObject({ status: 'completed' });
		});

		it('takes only an 8-hex-digit id as the suffix, and Kiro (profile-named agents) none', () => {
			// Another agent's prompt: any prompt ends the turn, the quoted line included.
			expect(qCliProvider.detect(quoting('developer-xyz'), idle)).toMatchObject({ status: 'idle' });
			expect(kiroCliProvider.detect(quoting('developer-ab12cd34'), idle)).toMatchObject({
				status: 'idle',
			});
		});
	});

	it('shows the matched line as evidence', () => {
		expect(qCliProvider.detect(`${green('Done.')}\n\n${prompt}`, idle)).toEqual({
			status: 'completed',
			rule: 'q_cli.reply-then-prompt',
			line: '> Done.',
		});
	});
});

describe('qCliProvider.extractLastReply', () => {
	it('is empty when no model reply is on screen', () => {
		expect(qCliProvider.extractLastReply('[developer] > /help\n\nUsage: ...\n\n[developer] > ')).toBe('');
	});

	it('keeps the last response only, and stops at tool lines and the prompt', () => {
		const screen = [
			'[developer] > fix it',
			'',
			"> I'll look first.",
			'',
			'🛠️  Using tool: fs_read (trusted)',
			' ● Completed in 0.1s',
			'',
			'> Fixed:',
			'',
			'    let x = 1;',
			'',
			'[developer] > half-typed',
		].join('\n');
		expect(qCliProvider.extractLastReply(screen)).toBe('Fixed:\n\n    let x = 1;');
	});

	it('leaves out a tool call that follows the text of the last response', () => {
		const screen = [
			"> I'll delete the folder.",
			'',
			'🛠️  Using tool: execute_bash',
			' ⋮ ',
			"Allow this action? Use 't' to trust (always allow) this tool for the session. [y/n/t]:",
			'',
			'[developer] > ',
		].join('\n');
		expect(qCliProvider.extractLastReply(screen)).toBe("I'll delete the folder.");
	});
});

describe('qCliProvider on a raw turn as it arrives', () => {
	const raw = readFileSync(
		new URL('../../fixtures/captures/q_cli/q_completed_raw.txt', import.meta.url),
		'utf8',
	);

	it('never reads ready before the final prompt, wherever the stream is cut', () => {
		const finalPrompt = raw.lastIndexOf('\r');
		const early = new Set<string>();
		for (let end = 1; end < finalPrompt; end++)
			early.add(qCliProvider.detect(raw.slice(0, end), afterInput).status);
		expect([...early].sort()).toEqual(['processing', 'unknown']);
		expect(qCliProvider.detect(raw, afterInput).status).toBe('completed');
	});
});
