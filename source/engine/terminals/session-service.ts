import type { TerminalBackend } from '../backends/types.js';
import type { SessionEnvRepository } from '../store/session-env-repository.js';
import type { TerminalRecord, TerminalRepository } from '../store/terminal-repository.js';
import type { TerminalService } from './terminal-service.js';
import { sessionName } from './validation.js';

export type SessionInfo = { name: string; terminals: TerminalRecord[] };

/** Sessions are named `cao-…` (tmux sessions on tmux), each holding one or more agent terminals. */
export const createSessionService = (deps: {
	backend: TerminalBackend;
	terminals: TerminalRepository;
	terminalService: TerminalService;
	sessionEnv: SessionEnvRepository;
}) => ({
	async list(): Promise<SessionInfo[]> {
		const windows = await deps.backend.listWindows();
		const names = [...new Set(windows.map((window) => window.session))];
		return names.map((name) => ({ name, terminals: deps.terminals.listBySession(name) }));
	},
	/** Deletes every terminal of the session, and its environment; tmux drops the session. */
	async remove(name: string): Promise<number> {
		const session = sessionName(name);
		const records = deps.terminals.listBySession(session);
		for (const record of records) await deps.terminalService.remove(record.id);
		deps.sessionEnv.remove(session);
		return records.length;
	},
});

export type SessionService = ReturnType<typeof createSessionService>;
