/**
 * The variables that tell a program it runs in CI (`CI`, `CONTINUOUS_INTEGRATION`, `CI_*`). Ink
 * (the panel's, Gemini CLI's) then draws nothing but its last frame: the panel ignores them, and
 * the agents do not inherit them.
 */
export const isCiMarker = (name: string): boolean =>
	name === 'CI' || name === 'CONTINUOUS_INTEGRATION' || name.startsWith('CI_');

/** The CI markers to keep from an agent: the usual two, and every `CI_*` in `env`. */
export const ciMarkers = (env: Readonly<Record<string, string | undefined>>): string[] => [
	...new Set(['CI', 'CONTINUOUS_INTEGRATION', ...Object.keys(env).filter(isCiMarker)]),
];
