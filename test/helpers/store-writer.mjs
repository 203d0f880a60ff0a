// A client process writing to an engine's database, as the CLI's one-shot commands do: for the
// concurrent-writers test. Usage: node store-writer.mjs DB SENDER RECEIVER COUNT
// Prints "ready", waits for "go" on stdin (so every writer starts at once), then opens the file
// (a new one is created and migrated here) and enqueues COUNT messages, each its own write, marking
// every fifth one delivered in a transaction. Prints {"written":N}; any error is one stderr line
// and exit code 2.
import process from 'node:process';
import { openDatabase } from '../../dist/engine/store/database.js';
import { createInboxRepository } from '../../dist/engine/store/inbox-repository.js';

const [file, sender, receiver, countText] = process.argv.slice(2);
const count = Number(countText);

const run = () => {
	const db = openDatabase(file);
	const inbox = createInboxRepository(db);
	let written = 0;
	for (let index = 0; index < count; index++) {
		const message = inbox.enqueue(sender, receiver, `${sender} ${index}`, Date.now());
		written += 1;
		if (index % 5 === 4) {
			inbox.markSending([message.id]);
			inbox.markDelivered([message.id], Date.now());
		}
	}
	db.close();
	process.stdout.write(`${JSON.stringify({ written })}\n`);
};

process.stdout.write('ready\n');
process.stdin.setEncoding('utf8').once('data', () => {
	try {
		run();
		process.exit(0);
	} catch (error) {
		process.stderr.write(`${error?.code ?? 'error'}: ${error?.message ?? String(error)}\n`);
		process.exit(2);
	}
});
