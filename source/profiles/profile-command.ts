import { readFile } from 'node:fs/promises';
import { resolvePaths } from '../config.js';
import { CaoError } from '../errors.js';
import { createProfileStore } from './profile-store.js';

type Write = (text: string) => void;

/** `cao-tui profile list | show NAME | install FILE`. */
export const runProfileCommand = async (
	args: readonly string[],
	json: boolean,
	write: Write,
): Promise<void> => {
	const store = createProfileStore({ storeDir: resolvePaths().agentStore });
	const [action, argument] = args;
	switch (action) {
		case 'list': {
			const entries = await store.list();
			if (json) return write(`${JSON.stringify(entries)}\n`);
			const width = Math.max(...entries.map((entry) => entry.name.length), 4);
			for (const entry of entries) {
				const about =
					'error' in entry
						? `BROKEN: ${entry.error}`
						: `${entry.source.padEnd(8)}  ${(entry.provider ?? '-').padEnd(12)}  ${entry.description}`;
				write(`${entry.name.padEnd(width)}  ${about}\n`);
			}
			return;
		}
		case 'show': {
			if (!argument) throw new CaoError('profile show needs a name: cao-tui profile show NAME');
			const profile = await store.get(argument);
			if (json) return write(`${JSON.stringify(profile)}\n`);
			const entry = (await store.list()).find((candidate) => candidate.name === profile.name);
			return write(entry ? await readFile(entry.path, 'utf8') : '');
		}
		case 'install': {
			if (!argument) throw new CaoError('profile install needs a file: cao-tui profile install FILE');
			const profile = await store.install(argument);
			return write(`installed profile ${profile.name}\n`);
		}
		default:
			throw new CaoError(
				`${action ? `unknown profile action '${action}'` : 'profile needs an action'}: cao-tui profile list | show NAME | install FILE`,
			);
	}
};
