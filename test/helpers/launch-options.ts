import { caoToolTimeoutMs } from '../../source/config.js';
import type { LaunchOptions } from '../../source/providers/types.js';

/** Launch options as the engine passes them, for provider unit tests. */
export const launchOptions = (overrides: Partial<LaunchOptions> = {}): LaunchOptions => ({
	terminalId: 'ab12cd34',
	profile: null,
	args: [],
	env: {},
	workingDirectory: '/work/project',
	configDir: '/home/me/.cao/terminals/ab12cd34',
	caoMcp: {
		command: '/usr/bin/node',
		args: ['/opt/cao-tui/dist/cli.js', 'mcp-server'],
		env: { CAO_TERMINAL_ID: 'ab12cd34', CAO_HOME: '/home/me/.cao' },
		timeoutMs: caoToolTimeoutMs,
	},
	...overrides,
});
