import { ValidationError } from '../errors.js';

/** `--launch PROVIDER[:PROFILE]` */
export type LaunchSpec = { provider: string; profile: string | null };

export const parseLaunchSpec = (spec: string): LaunchSpec => {
	const match = /^([a-z0-9_]+)(?::([A-Za-z0-9_-]{1,64}))?$/.exec(spec);
	if (!match?.[1]) {
		throw new ValidationError(`invalid --launch '${spec}': expected PROVIDER or PROVIDER:PROFILE`);
	}
	return { provider: match[1], profile: match[2] ?? null };
};
