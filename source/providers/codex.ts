import type { Provider } from './types.js';

// Placeholder until the provider is written: detects nothing.
export const codexProvider: Provider = {
	name: 'codex',
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: false, exit: { keys: ['C-d'] } },
	initTimeoutMs: 30_000,
	launchCommand: () => ({ command: ['codex'], env: {} }),
	initialize: async (context) => {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
	detect: () => ({ status: 'unknown', rule: 'codex.none', line: '' }),
	extractLastReply: () => '',
};
