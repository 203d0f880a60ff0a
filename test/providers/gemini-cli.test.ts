import { readFileSync } from 'node:fs';
import { caoToolTimeoutMs } from '../../source/config.js';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { geminiCliProvider } from '../../source/providers/gemini-cli.js';
import type { AgentProfile, DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { scriptedInitialize } from '../helpers/scripted-initialize.js';

const configDir = '/home/me/.cao/terminals/ab12cd34';
const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };

const profile: AgentProfile = {
	name: 'developer',
	model: 'gemini-2.5-pro',
	systemPrompt: 'You are the developer.\nWrite tests first.',
	allowedTools: ['bash', 'read', 'mcp__github__get_issue', '@jira'],
	mcpServers: {
		github: { command: 'github-mcp', args: ['--stdio'], env: { GITHUB_TOKEN: 't0k3n' } },
	},
};

const fileAt = (files: { path: string; content: string }[] | undefined, name: string) =>
	files?.find((file) => file.path === `${configDir}/${name}`)?.content;

describe('geminiCliProvider.launchCommand', () => {
	it('without a profile: gemini with its own home holding cao MCP server, pre-trusted', () => {
		const launch = geminiCliProvider.launchCommand(launchOptions());
		expect(launch.command).toEqual(['gemini']);
		expect(launch.env).toEqual({ GEMINI_CLI_HOME: configDir, GEMINI_CLI_TRUST_WORKSPACE: 'true' });
		expect(launch.files?.map((file) => file.path)).toEqual([`${configDir}/.gemini/settings.json`]);
		const settings = JSON.parse(fileAt(launch.files, '.gemini/settings.json') ?? '{}');
		expect(settings.mcpServers).toEqual({
			cao: {
				command: '/usr/bin/node',
				args: ['/opt/cao-tui/dist/cli.js', 'mcp-server'],
				env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
				// A handoff may take a day (Gemini's default: 10 minutes).
				timeout: caoToolTimeoutMs,
				trust: true,
			},
		});
		// First-run questions answered: no auth, theme, trust or IDE dialog.
		expect(settings.security).toEqual({
			auth: { selectedType: 'oauth-personal' },
			folderTrust: { enabled: false },
		});
		expect(settings.ui.theme).toBe('Default');
		expect(settings.ide).toEqual({ enabled: false, hasSeenNudge: true });
	});

	it('auth method from the environment the engine passes, or from the profile', () => {
		const settingsOf = (options: Parameters<typeof geminiCliProvider.launchCommand>[0]) =>
			JSON.parse(fileAt(geminiCliProvider.launchCommand(options).files, '.gemini/settings.json') ?? '{}');
		expect(settingsOf(launchOptions({ env: { GEMINI_API_KEY: 'k' } })).security.auth.selectedType).toBe(
			'gemini-api-key',
		);
		expect(
			settingsOf(launchOptions({ env: { GOOGLE_GENAI_USE_VERTEXAI: 'true', GEMINI_API_KEY: 'k' } })).security
				.auth.selectedType,
		).toBe('vertex-ai');
		expect(
			settingsOf(
				launchOptions({ profile: { name: 'p', options: { authType: 'compute-default-credentials' } } }),
			).security.auth.selectedType,
		).toBe('compute-default-credentials');
	});

	it('a full profile: model flag, system prompt file, allow policy, its MCP servers', () => {
		const launch = geminiCliProvider.launchCommand(launchOptions({ profile, args: ['--debug'] }));
		expect(launch.command).toEqual([
			'gemini',
			'--model',
			'gemini-2.5-pro',
			'--policy',
			`${configDir}/allowed-tools.toml`,
			'--debug',
		]);
		expect(launch.env).toEqual({
			GEMINI_CLI_HOME: configDir,
			GEMINI_CLI_TRUST_WORKSPACE: 'true',
			GEMINI_SYSTEM_MD: `${configDir}/system.md`,
		});
		expect(fileAt(launch.files, 'system.md')).toBe(profile.systemPrompt);
		const policy = fileAt(launch.files, 'allowed-tools.toml') ?? '';
		expect(policy).toContain('[[rule]]');
		expect(policy).toContain(
			'toolName = ["run_shell_command", "read_file", "read_many_files", "list_directory", "glob", "grep_search", "mcp_github_get_issue", "mcp_jira_*"]',
		);
		expect(policy).toContain('decision = "allow"');
		const settings = JSON.parse(fileAt(launch.files, '.gemini/settings.json') ?? '{}');
		expect(Object.keys(settings.mcpServers)).toEqual(['github', 'cao']);
		expect(settings.mcpServers.github).toEqual({
			command: 'github-mcp',
			args: ['--stdio'],
			env: { GITHUB_TOKEN: 't0k3n' },
			trust: true,
		});
	});

	it('skipPermissions (or "*" allowed) is YOLO mode, with no policy file', () => {
		for (const options of [
			{ ...profile, skipPermissions: true },
			{ ...profile, allowedTools: ['*'] },
		]) {
			const launch = geminiCliProvider.launchCommand(launchOptions({ profile: options }));
			expect(launch.command).toEqual(['gemini', '--model', 'gemini-2.5-pro', '--approval-mode', 'yolo']);
			expect(fileAt(launch.files, 'allowed-tools.toml')).toBeUndefined();
		}
	});

	it('a profile named "cao" among its MCP servers does not replace cao own server', () => {
		const launch = geminiCliProvider.launchCommand(
			launchOptions({ profile: { name: 'x', mcpServers: { cao: { command: 'evil', args: [], env: {} } } } }),
		);
		const settings = JSON.parse(fileAt(launch.files, '.gemini/settings.json') ?? '{}');
		expect(settings.mcpServers.cao.command).toBe('/usr/bin/node');
	});
});

describe('geminiCliProvider input tuning', () => {
	it('paste, a short pause, one Enter; /quit to leave', () => {
		expect(geminiCliProvider.input.enterCount).toBe(1);
		expect(geminiCliProvider.input.submitDelayMs).toBeGreaterThanOrEqual(100);
		expect(geminiCliProvider.input.submitDelayMs).toBeLessThanOrEqual(1000);
		expect(geminiCliProvider.input.exit).toEqual({ text: '/quit' });
		expect(geminiCliProvider.initTimeoutMs).toBeGreaterThanOrEqual(30_000);
	});
});

// A screen as Gemini CLI 0.61 draws it at the end of a turn.
const box = (text: string) => ['▄'.repeat(60), ` > ${text}`, '▀'.repeat(60)];
const composer = (
	input = '  Type your message or @path/to/file',
	status = '                ? for shortcuts',
) => [
	status,
	'─'.repeat(60),
	' Shift+Tab to accept edits',
	'▄'.repeat(60),
	` > ${input}`,
	'▀'.repeat(60),
	' workspace (/directory)          sandbox          /model',
	' ~/work                          no sandbox       gemini-2.5-flash',
];
const screen = (...parts: string[][]) => parts.flat().join('\n');
const title = (text: string) => `\x1b]0;${text.padEnd(80)}\x07`;

describe('geminiCliProvider.detect', () => {
	it('the title says Working while the screen already looks done: processing (the frame comes first)', () => {
		const buffer = screen(box('hi'), ['✦ Hello.'], composer()) + title('✦  Working… (work)');
		expect(geminiCliProvider.detect(buffer, afterInput)).toMatchObject({
			status: 'processing',
			rule: 'gemini_cli.title-working',
		});
		const ready = screen(box('hi'), ['✦ Hello.'], composer()) + title('◇  Ready (work)');
		expect(geminiCliProvider.detect(ready, afterInput)).toEqual({
			status: 'completed',
			rule: 'gemini_cli.reply',
			line: '✦ Hello.',
		});
	});

	it('the Action Required title is a question to the user', () => {
		const buffer =
			screen(box('hi'), ['╭──', '│ ? Shell  rm -rf build', '╰──']) + title('✋  Action Required (work)');
		expect(geminiCliProvider.detect(buffer, afterInput).status).toBe('waiting_user_answer');
	});

	it('a reply quoting a dialog question, with the input box below it, is not a dialog', () => {
		const buffer = screen(
			box('what does it ask?'),
			['✦ It asks:', '  Apply this change?', '  ● 1. Allow once'],
			composer(),
		);
		expect(geminiCliProvider.detect(buffer, idle).status).toBe('completed');
	});

	it('an old completed turn above a running one: processing', () => {
		const buffer = screen(
			box('first'),
			['✦ Done with the first.'],
			box('second'),
			composer(undefined, ' ⠼ Refining Delegation Parameters (esc to cancel, 50s)      ? for shortcuts'),
		);
		expect(geminiCliProvider.detect(buffer, afterInput)).toEqual({
			status: 'processing',
			rule: 'gemini_cli.spinner',
			line: '⠼ Refining Delegation Parameters (esc to cancel, 50s)  ? for shortcuts',
		});
	});

	it('right after input, an empty input box with nothing of the turn yet is not idle', () => {
		const buffer = screen(composer());
		expect(geminiCliProvider.detect(buffer, afterInput).status).toBe('unknown');
		expect(geminiCliProvider.detect(buffer, idle).status).toBe('idle');
	});

	it('a turn that failed after an older reply: error', () => {
		const buffer = screen(
			box('first'),
			['✦ Fine.'],
			box('second'),
			['✕ [API Error: exception TypeError: fetch failed sending request]', 'ℹ This request failed.'],
			composer(),
		);
		expect(geminiCliProvider.detect(buffer, afterInput)).toEqual({
			status: 'error',
			rule: 'gemini_cli.turn-error',
			line: '✕ [API Error: exception TypeError: fetch failed sending request]',
		});
	});

	it('a shell command waiting for keyboard input is a question to the user', () => {
		const buffer = screen(box('run it'), composer(undefined, ' ! Shell awaiting input (Tab to focus)'));
		expect(geminiCliProvider.detect(buffer, afterInput).status).toBe('waiting_user_answer');
	});
});

describe('geminiCliProvider.extractLastReply', () => {
	it('the last reply after the last tool box, code blocks fenced again', () => {
		const text = screen(
			box('older question'),
			['✦ Older answer.'],
			box('make it'),
			['✦ I will run it.', '╭──', '│ ✓  Shell make', '╰──'],
			[
				'✦ Built. The entry point:',
				'',
				'   1 int main() {',
				'   2     return 0;',
				'   3 }',
				'',
				'  Run ./a.out to try it.',
			],
			composer(),
		);
		expect(geminiCliProvider.extractLastReply(text)).toBe(
			'Built. The entry point:\n\n```\nint main() {\n    return 0;\n}\n```\n\nRun ./a.out to try it.',
		);
	});

	it('a numbered list is not a code block; no reply, no text', () => {
		const text = screen(box('list'), ['✦ Steps:', '  1. one', '  2. two'], composer());
		expect(geminiCliProvider.extractLastReply(text)).toBe('Steps:\n1. one\n2. two');
		expect(geminiCliProvider.extractLastReply(screen(composer()))).toBe('');
	});
});

describe('geminiCliProvider.initialize', () => {
	it('answers the folder trust dialog with Enter, then returns at the idle prompt', async () => {
		const trust = readFileSync(
			fileURLToPath(
				new URL('../../fixtures/captures/gemini_cli/waiting_trust_dialog_raw.txt', import.meta.url),
			),
			'utf8',
		);
		const ready = screen(composer());
		const { context, sent } = scriptedInitialize([trust], { Enter: ready });
		await geminiCliProvider.initialize(context);
		expect(sent).toEqual([['Enter']]);
	});
});
