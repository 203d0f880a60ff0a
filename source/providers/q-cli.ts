import type { Provider } from './types.js';

// Placeholder until the provider is written: detects nothing.
export const qCliProvider: Provider = {
	name: 'q_cli',
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: false, exit: { keys: ['C-d'] } },
	initTimeoutMs: 30_000,
	launchCommand: () => ({ command: ['q_cli'], env: {} }),
	initialize: async (context) => {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
	detect: () => ({ status: 'unknown', rule: 'q_cli.none', line: '' }),
	extractLastReply: () => '',
};
