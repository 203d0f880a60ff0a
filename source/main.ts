import type { Server } from 'node:http';
import { join } from 'node:path';
import { NoEngineError, requestEngine } from './api/client.js';
import { startApiServer, stopApiServer } from './api/server.js';
import { resolveTcpListen } from './api/tcp.js';
import { readLiveTerminal } from './commands/live-terminal.js';
import { type BackendKind, resolvePaths, resolveTmuxSocket } from './config.js';
import { createTmuxRunner } from './engine/backends/tmux.js';
import { createTmuxBackend } from './engine/backends/tmux-backend.js';
import { createEngine, type Engine } from './engine/engine.js';
import { lastReply } from './engine/terminals/reply-store.js';
import { oneLine } from './errors.js';
import { preparePrivateHome } from './home.js';
import { type LaunchSpec, parseLaunchSpec } from './headless/launch-spec.js';
import { printEvents } from './headless/ndjson-printer.js';
import { getProvider } from './providers/registry.js';

export type HeadlessOptions = {
	backend?: BackendKind;
	demo?: boolean;
	launch: readonly string[];
	workingDirectory?: string;
	session?: string;
	/** `--listen [HOST:]PORT`: the control API on TCP too (needs CAO_API_TOKEN). */
	listen?: string;
};

export const stderrLine = (message: string) => process.stderr.write(`cao-tui: ${message}\n`);

export type ServeOptions = {
	backend?: BackendKind;
	/** `--listen [HOST:]PORT`, checked (with its token) before anything starts. */
	listen?: string;
	/** Subscribes views to the bus before the engine starts (so they see every event). */
	beforeStart?(engine: Engine): void;
	/** Runs first when the engine stops (a view steps down). */
	beforeStop?(): void;
};

/**
 * The engine as `cao-tui` and `cao-tui --no-ui` run it: the control API first (one engine per
 * CAO_HOME), then the engine, serving until `stop`, SIGINT or SIGTERM; a crash stops it cleanly
 * too (no FIFO, pipe or hook left) and says why in one line. The tmux terminals keep running.
 */
export const serveEngine = async (options: ServeOptions = {}) => {
	const tcp = resolveTcpListen(options.listen);
	const paths = resolvePaths();
	// Before the engine opens its database there: an insecure CAO_HOME stops everything.
	preparePrivateHome(paths.home);
	const engine = createEngine({ paths, tmuxSocket: resolveTmuxSocket(), backend: options.backend });
	let api: Server;
	try {
		// First: a second engine on this CAO_HOME stops here, before it touches tmux.
		api = await startApiServer({
			engine,
			home: paths.home,
			socketPath: paths.socket,
			info: { backend: engine.backend.kind },
			...(tcp ? { tcp } : {}),
		});
	} catch (error) {
		await engine.stop();
		throw error;
	}
	options.beforeStart?.(engine);

	// Signals are handled from here on: one that comes while the engine starts stops it once it has.
	const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
	let started = false;
	let requested: number | undefined;
	let stopping = false;
	const stop = (code: number) => {
		if (!started) {
			requested ??= code;
			return;
		}
		if (stopping) return;
		stopping = true;
		clearInterval(keepAlive);
		try {
			options.beforeStop?.();
		} catch {
			// The view is going anyway; the engine must still stop.
		}
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
	process.on('SIGHUP', () => stop(0));
	// The terminal went away (its window closed): every write fails with EIO. That is a hangup,
	// not a crash, and saying so on that same terminal would fail again, and again.
	for (const stream of [process.stdout, process.stderr]) stream.on('error', () => stop(0));
	// A bug must not leave FIFOs, pipes and the exit hook behind: stop, then say it in one line
	// (once: an error while stopping is not said again).
	const crash = (error: unknown) => {
		if (!stopping) stderrLine(`internal error: ${oneLine(error)}`);
		stop(1);
	};
	process.on('uncaughtException', crash);
	process.on('unhandledRejection', crash);

	try {
		await engine.start();
	} catch (error) {
		clearInterval(keepAlive);
		await stopApiServer(api, paths.socket);
		await engine.stop();
		throw error;
	}
	started = true;
	if (requested !== undefined) stop(requested);
	return { engine, paths, stop };
};

/**
 * `cao-tui --no-ui`: the engine with NDJSON events on stdout until SIGINT or SIGTERM. The tmux
 * terminals keep running after it stops.
 */
export const runHeadless = async (options: HeadlessOptions): Promise<void> => {
	const specs = parseLaunches(options.launch);
	const { engine, stop } = await serveEngine({
		backend: options.backend,
		listen: options.listen,
		beforeStart: (engine) => printEvents(engine.bus, (line) => process.stdout.write(line)),
	});
	// Whoever reads the events went away (`| head`): stop cleanly rather than die on EPIPE.
	process.stdout.on('error', () => stop(0));
	// When every launch asked for fails, there is nothing to serve: exit with an error.
	if (!(await launchAll(engine, specs, options, stderrLine)) && !options.demo) return stop(1);
	if (options.demo) await (await import('./ui/demo.js')).startDemo(engine);
};

/** `--launch PROVIDER[:PROFILE]` values, checked before anything starts. */
export const parseLaunches = (launch: readonly string[]): LaunchSpec[] => {
	const specs = launch.map(parseLaunchSpec);
	for (const spec of specs) getProvider(spec.provider);
	return specs;
};

/**
 * The `--launch` terminals. A launch that fails is reported and the others go on: the engine
 * keeps serving. False when launches were asked for and every one failed.
 */
export const launchAll = async (
	engine: Engine,
	specs: readonly LaunchSpec[],
	where: Pick<HeadlessOptions, 'session' | 'workingDirectory'>,
	report: (message: string) => void,
): Promise<boolean> => {
	const launched = await Promise.all(
		specs.map((spec) =>
			engine.terminals
				.create({
					provider: spec.provider,
					profile: spec.profile,
					workingDirectory: where.workingDirectory,
					session: where.session,
				})
				.then(
					() => true,
					(error: unknown) => {
						report(`launch ${spec.provider}: ${oneLine(error)}`);
						return false;
					},
				),
		),
	);
	return specs.length === 0 || launched.some(Boolean);
};

/**
 * `cao-tui output TERMINAL [--last]`: from the running engine (the only way to a pty terminal),
 * else straight from tmux: no engine needed.
 */
export const printOutput = async (terminalId: string, last: boolean): Promise<void> => {
	const paths = resolvePaths();
	const record = readLiveTerminal(terminalId);
	try {
		const { output } = (await requestEngine(
			paths.socket,
			'GET',
			`/terminals/${encodeURIComponent(terminalId)}/output${last ? '?mode=last' : ''}`,
		)) as { output: string };
		process.stdout.write(`${output.trimEnd()}\n`);
		return;
	} catch (error) {
		if (!(error instanceof NoEngineError)) throw error;
	}
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
