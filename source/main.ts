import type { Server } from 'node:http';
import { join } from 'node:path';
import { startApiServer, stopApiServer } from './api/server.js';
import { readLiveTerminal } from './commands/live-terminal.js';
import { resolvePaths, resolveTmuxSocket } from './config.js';
import { createTmuxRunner } from './engine/backends/tmux.js';
import { createTmuxBackend } from './engine/backends/tmux-backend.js';
import { createEngine } from './engine/engine.js';
import { lastReply } from './engine/terminals/reply-store.js';
import { oneLine } from './errors.js';
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
	const paths = resolvePaths();
	const engine = createEngine({ paths, tmuxSocket: resolveTmuxSocket() });
	let api: Server;
	try {
		// First: a second engine on this CAO_HOME stops here, before it touches tmux.
		api = await startApiServer({
			engine,
			home: paths.home,
			socketPath: paths.socket,
		});
	} catch (error) {
		await engine.stop();
		throw error;
	}
	printEvents(engine.bus, (line) => process.stdout.write(line));
	try {
		await engine.start();
	} catch (error) {
		await stopApiServer(api, paths.socket);
		await engine.stop();
		throw error;
	}

	// The engine serves until it is told to stop, whether or not terminals are attached.
	const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
	let stopping = false;
	const stop = (code: number) => {
		if (stopping) return;
		stopping = true;
		clearInterval(keepAlive);
		void stopApiServer(api, paths.socket)
			.then(() => engine.stop())
			.then(
				() => process.exit(code),
				(error: unknown) => {
					stderrLine(`stopping: ${oneLine(error)}`);
					process.exit(1);
				},
			);
	};
	process.on('SIGINT', () => stop(0));
	process.on('SIGTERM', () => stop(0));
	// Whoever reads the events went away (`| head`): stop cleanly rather than die on EPIPE.
	process.stdout.on('error', () => stop(0));
	// A bug must not leave FIFOs, pipes and the exit hook behind: stop, then say it in one line.
	const crash = (error: unknown) => {
		stderrLine(`internal error: ${oneLine(error)}`);
		stop(1);
	};
	process.on('uncaughtException', crash);
	process.on('unhandledRejection', crash);

	// A launch that fails is reported and the others go on: the engine keeps serving. When every
	// launch asked for fails, there is nothing to serve: exit with an error.
	const launched = await Promise.all(
		specs.map((spec) =>
			engine.terminals
				.create({
					provider: spec.provider,
					profile: spec.profile,
					workingDirectory: options.workingDirectory,
					session: options.session,
				})
				.then(
					() => true,
					(error: unknown) => {
						stderrLine(`launch ${spec.provider}: ${oneLine(error)}`);
						return false;
					},
				),
		),
	);
	if (specs.length > 0 && !launched.some(Boolean)) stop(1);
};

/** `cao-tui output TERMINAL [--last]`: reads the terminal straight from tmux; no engine needed. */
export const printOutput = async (terminalId: string, last: boolean): Promise<void> => {
	const paths = resolvePaths();
	const record = readLiveTerminal(terminalId);
	const backend = createTmuxBackend({
		tmux: createTmuxRunner(resolveTmuxSocket()),
		fifoDir: paths.fifos,
		warn: stderrLine,
	});
	const screen = await backend.capture(
		{ terminalId, session: record.session, window: record.window },
		{ history: true },
	);
	const text = last
		? lastReply(getProvider(record.provider), screen, join(paths.terminals, terminalId))
		: screen.trimEnd();
	process.stdout.write(`${text}\n`);
};
