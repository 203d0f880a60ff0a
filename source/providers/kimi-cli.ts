import type { Provider } from './types.js';

// Placeholder until the provider is written: detects nothing.
export const kimiCliProvider: Provider = {
	name: 'kimi_cli',
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: false, exit: { keys: ['C-d'] } },
	initTimeoutMs: 30_000,
	launchCommand: () => ({ command: ['kimi_cli'], env: {} }),
	initialize: async (context) => {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
	detect: () => ({ status: 'unknown', rule: 'kimi_cli.none', line: '' }),
	extractLastReply: () => '',
};
