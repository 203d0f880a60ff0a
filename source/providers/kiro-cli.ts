import { join } from 'node:path';
import { createQFamilyProvider } from './q-family.js';

/**
 * Kiro CLI, Amazon Q's successor: `kiro-cli chat --agent NAME` in its default TUI (see q-family.ts
 * for both of its screens). Not `--legacy-ui`: that selects Kiro's v1 engine, which shows the model
 * no MCP tools at all, cao's included.
 *
 * `KIRO_HOME` (Kiro ≥ 2.3) replaces `~/.kiro` for global agents, steering, skills, settings and
 * sessions: pointing it into the terminal's config folder makes Kiro find the agent file written
 * there, and keeps each terminal's settings and sessions apart from the user's. Sign-in lives
 * elsewhere and is kept.
 */
export const kiroCliProvider = createQFamilyProvider({
	name: 'kiro_cli',
	chat: ['kiro-cli', 'chat'],
	dialect: 'kiro',
	agentFile: (agentName) => `kiro-home/agents/${agentName}.json`,
	env: ({ configDir }) => ({ KIRO_HOME: join(configDir, 'kiro-home') }),
	toolNames: {
		bash: 'shell',
		execute_bash: 'shell',
		execute_cmd: 'shell',
		fs_read: 'read',
		fs_write: 'write',
		edit: 'write',
		use_aws: 'aws',
	},
	resources: ['file://AGENTS.md', 'file://.kiro/steering/**/*.md'],
	input: {
		// Kiro's TUI (2.11+) swallows an Enter sent too soon after a paste, and takes two Enters to
		// submit one: the first ends the paste.
		submitDelayMs: 1000,
		enterCount: 2,
		acceptsInputWhileProcessing: false,
		exit: { text: '/quit' },
	},
	// With several MCP servers Kiro takes 40-60 s to reach its prompt.
	initTimeoutMs: 90_000,
});
