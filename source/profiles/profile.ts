import { z } from 'zod';
import { readFrontmatter } from '../frontmatter.js';
import { profileNamePattern } from '../names.js';
import { providerNames } from '../providers/registry.js';
import type { AgentProfile } from '../providers/types.js';

/** An agent profile as users write it: the launch settings, plus what the panel and lists show. */
export type Profile = AgentProfile & {
	description: string;
	/** The provider the profile asks for; the caller's choice wins. */
	provider?: string;
};

// Profile names become file names and tmux window names: checked where all names are.
export { assertProfileName, profileNamePattern } from '../names.js';

const stringList = z.array(z.string().min(1));
const mcpServer = z.strictObject({
	command: z.string().min(1),
	args: stringList.default([]),
	env: z.record(z.string(), z.string()).default({}),
});

const frontmatter = z.looseObject({
	name: z.string().regex(profileNamePattern, 'letters, digits, - and _ only, at most 64'),
	description: z.string().default(''),
	provider: z
		.string()
		.refine(
			(name) => providerNames().includes(name),
			`unknown provider (known: ${providerNames().join(', ')})`,
		)
		.optional(),
	model: z.string().min(1).optional(),
	mcpServers: z
		.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'server names: letters, digits, - and _'), mcpServer)
		.refine((servers) => !('cao' in servers), "'cao' is cao-tui's own server")
		.optional(),
	allowedTools: stringList.optional(),
	skipPermissions: z.boolean().optional(),
});

const known = new Set(Object.keys(frontmatter.shape));

/**
 * Reads a profile file's text; `source` names it in errors, which are one line each:
 * "profile developer.md: field 'allowedTools': expected array, received string".
 */
export const parseProfile = (text: string, source: string): Profile => {
	const { fields, body: systemPrompt } = readFrontmatter(text, frontmatter, 'profile', source);
	const { name, description, provider, model, mcpServers, allowedTools, skipPermissions } = fields;
	const options = Object.fromEntries(Object.entries(fields).filter(([key]) => !known.has(key)));
	return {
		name,
		description,
		...(provider ? { provider } : {}),
		...(model ? { model } : {}),
		...(systemPrompt ? { systemPrompt } : {}),
		...(allowedTools ? { allowedTools } : {}),
		...(skipPermissions !== undefined ? { skipPermissions } : {}),
		...(mcpServers ? { mcpServers } : {}),
		...(Object.keys(options).length > 0 ? { options } : {}),
	};
};
