import { defineConfig } from 'vitest/config';

/** `npm run test:real`: the real agent CLIs, one at a time (they are heavy and timing-sensitive). */
export default defineConfig({
	test: {
		include: ['test/real/**/*.test.ts'],
		pool: 'forks',
		fileParallelism: false,
		testTimeout: 240_000,
		hookTimeout: 15 * 60_000,
	},
});
