import { existsSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { startApiServer, stopApiServer } from '../../source/api/server.js';
import type { BackendKind } from '../../source/config.js';
import { createEngine, type Engine, type EngineOptions } from '../../source/engine/engine.js';
import type { EventMap, Topic } from '../../source/engine/events.js';
import { createSandbox, hasTmux, type Sandbox } from './sandbox.js';

export type RecordedEvent = { topic: Topic } & EventMap[Topic];

export type TestEngine = {
	engine: Engine;
	sandbox: Sandbox;
	/** Every event except raw output, in order. */
	events: RecordedEvent[];
	statuses(terminalId: string): string[];
	/** Names of the terminals running now (tmux windows, or the pty backend's processes). */
	windows(): Promise<string[]>;
	fifos(): string[];
	dispose(): Promise<void>;
};

/** How a terminal whose agent quit is reported: its tmux window closed, or its pty process exited. */
export const endedOnItsOwn = /^(window closed|exited with code \d+)/;

export type TestEngineOptions = {
	backend?: BackendKind;
	env?: Record<string, string>;
	extraProviders?: EngineOptions['extraProviders'];
	/** Serve the control API on the sandbox's socket, as cao-tui does (agents' MCP servers use it). */
	api?: boolean;
};

/**
 * A started engine on `backend` (default tmux where installed, else pty) with a private tmux server and CAO_HOME, recording
 * its events.
 */
export const startTestEngine = async (options: TestEngineOptions = {}): Promise<TestEngine> => {
	// tmux where it is installed, else pty: as the sandbox chooses.
	const backend = options.backend ?? (hasTmux ? 'tmux' : 'pty');
	const sandbox = createSandbox(backend);
	const engine = createEngine({
		paths: sandbox.paths,
		tmuxSocket: sandbox.socket,
		backend,
		env: { ...process.env, FAKE_AGENT_THINK_MS: '300', ...options.env },
		extraProviders: options.extraProviders,
	});
	const events: RecordedEvent[] = [];
	engine.bus.onAny((topic, payload) => {
		if (!topic.endsWith('.output')) events.push({ topic, ...payload } as RecordedEvent);
	});
	await engine.start();
	const api: Server | undefined = options.api
		? await startApiServer({ engine, home: sandbox.home, socketPath: sandbox.paths.socket })
		: undefined;
	return {
		engine,
		sandbox,
		events,
		statuses: (terminalId) =>
			events
				.filter((event) => event.topic === `terminal.${terminalId}.status`)
				.map((event) => (event as EventMap['terminal.x.status']).status),
		windows: async () => (await engine.backend.listWindows()).map((window) => window.window),
		fifos: () => (existsSync(sandbox.paths.fifos) ? readdirSync(sandbox.paths.fifos) : []),
		async dispose() {
			if (api) await stopApiServer(api, sandbox.paths.socket);
			await engine.stop();
			sandbox.dispose();
		},
	};
};
