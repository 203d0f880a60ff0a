import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		// The real agent CLIs have a tier of their own: npm run test:real.
		exclude: ['test/real/**', 'node_modules/**'],
		// Native modules (better-sqlite3, node-pty) and FIFOs are happiest in child processes.
		pool: 'forks',
		setupFiles: ['test/helpers/no-ci.ts'],
		testTimeout: 30_000,
		hookTimeout: 30_000,
	},
});
