import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readReplyStore } from '../../../source/engine/terminals/reply-store.js';
import { opencodeCliProvider } from '../../../source/providers/opencode-cli.js';

describe('readReplyStore, on OpenCode’s database', () => {
	let folder: string;
	beforeEach(() => {
		folder = mkdtempSync(join(tmpdir(), 'cao-reply-store-'));
	});
	afterEach(() => {
		rmSync(folder, { recursive: true, force: true });
	});

	const store = () => {
		const reply = opencodeCliProvider.replyStore?.(folder);
		if (!reply) throw new Error('opencode_cli has no reply store');
		return reply;
	};

	/** OpenCode 1.18's two tables, as far as replies go. */
	const database = () => {
		const db = new Database(store().database);
		db.exec(`CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL,
			time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);
			CREATE TABLE part (id text PRIMARY KEY, message_id text NOT NULL, session_id text NOT NULL,
			time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);`);
		let clock = 1000;
		const message = (id: string, role: string, parts: object[]) => {
			db.prepare('INSERT INTO message VALUES (?, ?, ?, ?, ?)').run(
				id,
				's1',
				clock,
				clock,
				JSON.stringify({ role }),
			);
			for (const [index, part] of parts.entries()) {
				clock += 1;
				db.prepare('INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)').run(
					`${id}-p${index}`,
					id,
					's1',
					clock,
					clock,
					JSON.stringify(part),
				);
			}
			clock += 10;
		};
		return { db, message };
	};

	it('reads the text of the newest assistant message, exactly as the model wrote it', () => {
		const { db, message } = database();
		const long = ['Here is the code:', '', '```python', 'print("hi")', '```', ...Array(80).fill('more')].join(
			'\n',
		);
		message('m1', 'user', [{ type: 'text', text: 'first question' }]);
		message('m2', 'assistant', [{ type: 'step-start' }, { type: 'text', text: 'first answer' }]);
		message('m3', 'user', [{ type: 'text', text: 'write code' }]);
		message('m4', 'assistant', [
			{ type: 'step-start' },
			{ type: 'text', text: 'Let me look.' },
			{ type: 'tool', tool: 'bash', state: { status: 'completed' } },
			{ type: 'step-finish' },
		]);
		message('m5', 'assistant', [
			{ type: 'step-start' },
			{ type: 'text', text: long },
			{ type: 'step-finish' },
		]);
		db.close();
		expect(readReplyStore(store())).toBe(long);
	});

	it('has nothing, and throws nothing, when there is no database or not the tables it knows', () => {
		expect(readReplyStore(store())).toBe('');
		writeFileSync(store().database, 'not a database');
		expect(readReplyStore(store())).toBe('');
		rmSync(store().database);
		new Database(store().database).exec('CREATE TABLE other (x)').close();
		expect(readReplyStore(store())).toBe('');
	});
});
