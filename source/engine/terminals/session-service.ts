import type { TerminalBackend } from '../backends/types.js';
import type { TerminalRecord, TerminalRepository } from '../store/terminal-repository.js';
import type { TerminalService } from './terminal-service.js';
import { sessionName } from './validation.js';

export type SessionInfo = { name: string; terminals: TerminalRecord[] };

/** Sessions are tmux sessions named `cao-…`, each holding one or more agent terminals. */
export const createSessionService = (deps: {
	backend: TerminalBackend;
	terminals: TerminalRepository;
	terminalService: TerminalService;
}) => ({
	async list(): Promise<SessionInfo[]> {
		const names = await deps.backend.listSessions();
		return names.map((name) => ({ name, terminals: deps.terminals.listBySession(name) }));
	},
	/** Deletes every terminal of the session; tmux drops the session with its last window. */
	async remove(name: string): Promise<number> {
		const records = deps.terminals.listBySession(sessionName(name));
		for (const record of records) await deps.terminalService.remove(record.id);
		return records.length;
	},
});

export type SessionService = ReturnType<typeof createSessionService>;
