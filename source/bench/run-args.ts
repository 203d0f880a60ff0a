import { parseArgs } from 'node:util';

/**
 * `--n`, `--seconds` and `--runs` of a benchmark that repeats one scenario: `--help` prints the
 * usage and exits; a value that is not a positive integer prints it and exits with 2.
 */
export const runArgs = (usage: string, defaults: { n: number; seconds: number; runs: number }) => {
	const { values } = parseArgs({
		options: {
			n: { type: 'string', default: String(defaults.n) },
			seconds: { type: 'string', default: String(defaults.seconds) },
			runs: { type: 'string', default: String(defaults.runs) },
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		process.stdout.write(`${usage}\n`);
		process.exit(0);
	}
	const [count, seconds, runs] = [values.n, values.seconds, values.runs].map(Number);
	if (![count, seconds, runs].every((value) => Number.isInteger(value) && (value ?? 0) > 0)) {
		process.stderr.write(`${usage}\n`);
		process.exit(2);
	}
	return { count: count as number, seconds: seconds as number, runs: runs as number };
};

/** The middle value (the upper one of an even count). */
export const median = (numbers: readonly number[]): number =>
	[...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;
