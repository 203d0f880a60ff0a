import type { Provider } from './types.js';

// Placeholder until the provider is written: detects nothing.
export const claudeCodeProvider: Provider = {
	name: 'claude_code',
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: false, exit: { keys: ['C-d'] } },
	initTimeoutMs: 30_000,
	launchCommand: () => ({ command: ['claude_code'], env: {} }),
	initialize: async (context) => {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
	detect: () => ({ status: 'unknown', rule: 'claude_code.none', line: '' }),
	extractLastReply: () => '',
};
