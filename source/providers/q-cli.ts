import { homedir } from 'node:os';
import { join } from 'node:path';
import { createQFamilyProvider } from './q-family.js';

/**
 * Amazon Q Developer CLI: `q chat --agent NAME`, its classic line UI (see q-family.ts for the
 * screens it shares with Kiro CLI).
 *
 * Q reads agents only from `<cwd>/.amazonq/cli-agents/` and `~/.aws/amazonq/cli-agents/`, with no
 * flag or variable to point it elsewhere: the agent file is written under the terminal's config
 * folder and the engine links it into `~/.aws/amazonq/cli-agents/` (the HOME the CLI gets) for the
 * terminal's life. The file carries the terminal's id (cao's MCP server), so its name does too:
 * `developer-ab12cd34`, which Q shows in its prompt.
 */
export const qCliProvider = createQFamilyProvider({
	name: 'q_cli',
	chat: ['q', 'chat'],
	dialect: 'q',
	agentFile: (agentName) => `amazonq/cli-agents/${agentName}.json`,
	env: () => ({}),
	sharedAgentFolder: ({ env }) => join(env.HOME || homedir(), '.aws', 'amazonq', 'cli-agents'),
	toolNames: {
		bash: 'execute_bash',
		shell: 'execute_bash',
		execute_cmd: 'execute_bash',
		read: 'fs_read',
		write: 'fs_write',
		edit: 'fs_write',
		aws: 'use_aws',
	},
	// What Q's default agent reads, minus README.md.
	resources: ['file://AmazonQ.md', 'file://AGENTS.md', 'file://.amazonq/rules/**/*.md'],
	input: {
		// rustyline takes a bracketed paste at once; Enter right after it submits.
		submitDelayMs: 300,
		enterCount: 1,
		acceptsInputWhileProcessing: false,
		exit: { text: '/quit' },
	},
	// MCP servers start before the first prompt.
	initTimeoutMs: 60_000,
});
