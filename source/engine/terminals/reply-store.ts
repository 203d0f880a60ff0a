import Database from 'better-sqlite3';
import type { Provider, ReplyStore } from '../../providers/types.js';

/**
 * The last reply a CLI recorded in its own store, or '' when there is none to be had: no file yet,
 * a schema this CLI version does not have, the file locked for longer than a moment. The caller
 * falls back to the screen, so a failure here costs a long reply's hidden part, nothing more.
 */
export const readReplyStore = (store: ReplyStore): string => {
	let db: Database.Database | undefined;
	try {
		db = new Database(store.database, { readonly: true, fileMustExist: true, timeout: 500 });
		return store.reply(db.prepare(store.query).all() as Record<string, unknown>[]);
	} catch {
		return '';
	} finally {
		db?.close();
	}
};

/** The agent's last reply: from the CLI's own record where it keeps one, else from the screen. */
export const lastReply = (provider: Provider, screen: string, configDir: string): string =>
	(provider.replyStore && readReplyStore(provider.replyStore(configDir))) ||
	provider.extractLastReply(screen);
