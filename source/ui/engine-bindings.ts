import type { Engine } from '../engine/engine.js';
import { getProvider } from '../providers/registry.js';
import type { PanelActions } from './components/app.js';
import type { PanelSource, PanelStore } from './panel-store.js';

/** What the panel reads, from a running engine. */
export const panelSource = (engine: Engine): PanelSource => ({
	bus: engine.bus,
	backend: engine.backend.description,
	listTerminals: () => engine.terminals.list(),
	statusOf: (id) => engine.monitor.getStatus(id),
	pendingCount: (id) => engine.inbox.list(id, 'pending').length,
	listFlows: () => engine.flows.repository.list(),
	capture: (id) => {
		const record = engine.terminals.get(id);
		return engine.backend.capture({ terminalId: id, session: record.session, window: record.window });
	},
	lastReply: (id, screen) => getProvider(engine.terminals.get(id).provider).extractLastReply(screen),
});

/**
 * What the keys do, on a running engine; the same calls as the control API's (messages from the
 * panel are the user's, as from `cao-tui message` in a shell).
 */
export const panelActions = (
	engine: Engine,
	store: PanelStore,
	view: Pick<PanelActions, 'attach' | 'quit'>,
): PanelActions => ({
	createTerminal: ({ profile, provider, workingDirectory }) =>
		engine.launch({ profile, provider, workingDirectory }),
	sendInput: (id, text) => engine.terminals.sendInput(id, text),
	sendMessage: async (receiverId, text) => {
		engine.inbox.send('user', receiverId, text);
	},
	kill: (id) => engine.terminals.remove(id),
	runFlow: async (name) => {
		engine.flows.startRun(name);
	},
	setFlowEnabled: async (name, enabled) => {
		await engine.flows.setEnabled(name, enabled);
		store.reloadFlows();
	},
	...view,
});
