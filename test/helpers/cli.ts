import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const assertBuilt = () => {
	if (!existsSync(cliPath))
		throw new Error(`${cliPath} is missing: run \`npm run build\` first (npm test does)`);
};

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs `cao-tui ARGS` to completion. */
export const runCli = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> => {
	assertBuilt();
	return new Promise((resolve) => {
		execFile(process.execPath, [cliPath, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) => {
			resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
		});
	});
};

/** Starts `cao-tui ARGS` and keeps it running; its stdout is collected line by line. */
export const startCli = (args: readonly string[], env: NodeJS.ProcessEnv) => {
	assertBuilt();
	const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
	const lines: string[] = [];
	let stderr = '';
	let partial = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		const parts = (partial + chunk).split('\n');
		partial = parts.pop() ?? '';
		lines.push(...parts);
	});
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	return {
		child,
		lines,
		events: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
		stderr: () => stderr,
		exited,
	};
};
