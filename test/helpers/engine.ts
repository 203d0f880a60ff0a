import { existsSync, readdirSync } from 'node:fs';
import { createEngine, type Engine } from '../../source/engine/engine.js';
import type { EventMap, Topic } from '../../source/engine/events.js';
import { createSandbox, type Sandbox } from './sandbox.js';

export type RecordedEvent = { topic: Topic } & EventMap[Topic];

export type TestEngine = {
	engine: Engine;
	sandbox: Sandbox;
	/** Every event except raw output, in order. */
	events: RecordedEvent[];
	statuses(terminalId: string): string[];
	fifos(): string[];
	dispose(): Promise<void>;
};

/** A started engine on a private tmux server and CAO_HOME, recording its events. */
export const startTestEngine = async (env: Record<string, string> = {}): Promise<TestEngine> => {
	const sandbox = createSandbox();
	const engine = createEngine({
		paths: sandbox.paths,
		tmuxSocket: sandbox.socket,
		env: { ...process.env, FAKE_AGENT_THINK_MS: '300', ...env },
	});
	const events: RecordedEvent[] = [];
	engine.bus.onAny((topic, payload) => {
		if (!topic.endsWith('.output')) events.push({ topic, ...payload } as RecordedEvent);
	});
	await engine.start();
	return {
		engine,
		sandbox,
		events,
		statuses: (terminalId) =>
			events
				.filter((event) => event.topic === `terminal.${terminalId}.status`)
				.map((event) => (event as EventMap['terminal.x.status']).status),
		fifos: () => (existsSync(sandbox.paths.fifos) ? readdirSync(sandbox.paths.fifos) : []),
		async dispose() {
			await engine.stop();
			sandbox.dispose();
		},
	};
};
