import type { Provider } from './types.js';

// Placeholder until the provider is written: detects nothing.
export const copilotCliProvider: Provider = {
	name: 'copilot_cli',
	input: { submitDelayMs: 200, enterCount: 1, acceptsInputWhileProcessing: false, exit: { keys: ['C-d'] } },
	initTimeoutMs: 30_000,
	launchCommand: () => ({ command: ['copilot_cli'], env: {} }),
	initialize: async (context) => {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},
	detect: () => ({ status: 'unknown', rule: 'copilot_cli.none', line: '' }),
	extractLastReply: () => '',
};
