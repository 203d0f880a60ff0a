import type { Db } from '../../source/engine/store/database.js';
import { createTerminalRepository } from '../../source/engine/store/terminal-repository.js';

/**
 * A fake terminal's row, as an engine would have recorded it, created at `createdAt`; ended at
 * `exitedAt` unless that is undefined (then it is live).
 */
export const insertTerminalRow = (
	db: Db,
	id: string,
	{ session, createdAt, exitedAt }: { session: string; createdAt: number; exitedAt?: number },
): void => {
	const terminals = createTerminalRepository(db);
	terminals.insert({
		id,
		session,
		window: `fake-${id}`,
		provider: 'fake',
		profile: null,
		workingDirectory: '/',
		callerId: null,
		createdAt,
		lastActiveAt: createdAt,
		lastStatus: 'idle',
	});
	if (exitedAt !== undefined) terminals.markExited(id, exitedAt);
};
