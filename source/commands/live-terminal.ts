import { resolvePaths } from '../config.js';
import { openDatabase } from '../engine/store/database.js';
import { createTerminalRepository, type TerminalRecord } from '../engine/store/terminal-repository.js';
import { TerminalNotFoundError } from '../errors.js';
import { assertTerminalId } from '../names.js';

/** A live terminal as the store records it: for commands that work with no engine running. */
export const readLiveTerminal = (terminalId: string): TerminalRecord => {
	assertTerminalId(terminalId);
	const db = openDatabase(resolvePaths().database);
	try {
		const record = createTerminalRepository(db).get(terminalId);
		if (!record || record.exitedAt !== null) throw new TerminalNotFoundError(terminalId);
		return record;
	} finally {
		db.close();
	}
};
