import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		// Native modules (better-sqlite3, node-pty) and FIFOs are happiest in child processes.
		pool: 'forks',
		testTimeout: 30_000,
		hookTimeout: 30_000,
	},
});
