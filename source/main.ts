import { resolvePaths, resolveTmuxSocket } from './config.js';
import { createTmuxRunner } from './engine/backends/tmux.js';
import { createTmuxBackend } from './engine/backends/tmux-backend.js';
import { createEngine } from './engine/engine.js';
import { openDatabase } from './engine/store/database.js';
import { createTerminalRepository } from './engine/store/terminal-repository.js';
import { oneLine, TerminalNotFoundError } from './errors.js';
import { parseLaunchSpec } from './headless/launch-spec.js';
import { printEvents } from './headless/ndjson-printer.js';
import { getProvider } from './providers/registry.js';

export type HeadlessOptions = {
	launch: readonly string[];
	workingDirectory?: string;
	session?: string;
};

const stderrLine = (message: string) => process.stderr.write(`cao-tui: ${message}\n`);

/**
 * `cao-tui --no-ui`: the engine with NDJSON events on stdout until SIGINT or SIGTERM. The tmux
 * terminals keep running after it stops.
 */
export const runHeadless = async (options: HeadlessOptions): Promise<void> => {
	const specs = options.launch.map(parseLaunchSpec);
	for (const spec of specs) getProvider(spec.provider);
	const engine = createEngine({ paths: resolvePaths(), tmuxSocket: resolveTmuxSocket() });
	printEvents(engine.bus, (line) => process.stdout.write(line));
	try {
		await engine.start();
	} catch (error) {
		await engine.stop();
		throw error;
	}

	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		void engine.stop().then(
			() => process.exit(0),
			(error: unknown) => {
				stderrLine(`stopping: ${oneLine(error)}`);
				process.exit(1);
			},
		);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);

	// A launch that fails is reported and the others go on: the engine keeps serving.
	await Promise.all(
		specs.map((spec) =>
			engine.terminals
				.create({
					provider: spec.provider,
					profile: spec.profile,
					workingDirectory: options.workingDirectory,
					session: options.session,
				})
				.catch((error: unknown) => stderrLine(`launch ${spec.provider}: ${oneLine(error)}`)),
		),
	);
};

/** `cao-tui output TERMINAL [--last]`: reads the terminal straight from tmux; no engine needed. */
export const printOutput = async (terminalId: string, last: boolean): Promise<void> => {
	const db = openDatabase(resolvePaths().database);
	try {
		const record = createTerminalRepository(db).get(terminalId);
		if (!record || record.exitedAt !== null) throw new TerminalNotFoundError(terminalId);
		const paths = resolvePaths();
		const backend = createTmuxBackend({
			tmux: createTmuxRunner(resolveTmuxSocket()),
			fifoDir: paths.fifos,
			warn: stderrLine,
		});
		const screen = await backend.capture(
			{ terminalId, session: record.session, window: record.window },
			{ history: true },
		);
		const text = last ? getProvider(record.provider).extractLastReply(screen) : screen.trimEnd();
		process.stdout.write(`${text}\n`);
	} finally {
		db.close();
	}
};
