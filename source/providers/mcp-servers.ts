import type { LaunchOptions, McpServer } from './types.js';

/**
 * An agent's MCP servers in its CLI's own config shape (`entry`): the profile's and cao's, which
 * no server of the profile may stand in for. `caoFirst` only orders the file.
 */
export const mcpServersConfig = <T>(
	options: Pick<LaunchOptions, 'profile' | 'caoMcp'>,
	entry: (server: McpServer) => T,
	{ caoFirst = false } = {},
): Record<string, T> => {
	const cao = ['cao', options.caoMcp] as const;
	const profile = Object.entries(options.profile?.mcpServers ?? {}).filter(([name]) => name !== 'cao');
	const servers = caoFirst ? [cao, ...profile] : [...profile, cao];
	return Object.fromEntries(servers.map(([name, server]) => [name, entry(server)]));
};
