import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaoError, NotFoundError, ValidationError } from '../errors.js';
import { assertProfileName, parseProfile, type Profile } from './profile.js';

/** The profiles that ship with cao-tui (developer, reviewer, code_supervisor). */
export const builtinProfileDir = fileURLToPath(new URL('../../profiles/', import.meta.url));

export type ProfileEntry = {
	name: string;
	description: string;
	provider?: string;
	source: 'store' | 'built-in';
	path: string;
};

export type ProfileStoreOptions = {
	/** `$CAO_HOME/agent-store`: the user's profiles, looked up first. */
	storeDir: string;
	builtinDir?: string;
};

const profileFiles = async (dir: string): Promise<string[]> => {
	try {
		return (await readdir(dir)).filter((file) => file.endsWith('.md')).sort();
	} catch {
		return [];
	}
};

/** Profiles by name: the user's store first, then the built-in ones. */
export const createProfileStore = ({ storeDir, builtinDir = builtinProfileDir }: ProfileStoreOptions) => {
	const folders = [
		{ dir: storeDir, source: 'store' as const },
		{ dir: builtinDir, source: 'built-in' as const },
	];

	const load = async (path: string): Promise<Profile> => {
		const profile = parseProfile(await readFile(path, 'utf8'), basename(path));
		const expected = basename(path, '.md');
		if (profile.name !== expected)
			throw new ValidationError(
				`profile ${basename(path)}: field 'name': '${profile.name}' differs from the file name`,
			);
		return profile;
	};

	return {
		/** The profile NAME, parsed; a malformed file fails with one line naming it and the field. */
		async get(name: string): Promise<Profile> {
			assertProfileName(name);
			for (const { dir } of folders) {
				const path = join(dir, `${name}.md`);
				if (existsSync(path)) return load(path);
			}
			throw new NotFoundError(`no profile '${name}' (see cao-tui profile list)`);
		},

		/** Every profile, the store's hiding built-in ones of the same name; broken files say why. */
		async list(): Promise<(ProfileEntry | { name: string; error: string; path: string })[]> {
			const seen = new Set<string>();
			const entries: (ProfileEntry | { name: string; error: string; path: string })[] = [];
			for (const { dir, source } of folders) {
				for (const file of await profileFiles(dir)) {
					const name = basename(file, '.md');
					if (seen.has(name)) continue;
					seen.add(name);
					const path = join(dir, file);
					try {
						const { description, provider } = await load(path);
						entries.push({ name, description, ...(provider ? { provider } : {}), source, path });
					} catch (error) {
						entries.push({ name, error: error instanceof Error ? error.message : String(error), path });
					}
				}
			}
			return entries.sort((a, b) => a.name.localeCompare(b.name));
		},

		/** Checks FILE and copies it into the store as NAME.md (NAME from its frontmatter). */
		async install(file: string): Promise<Profile> {
			let text: string;
			try {
				text = await readFile(file, 'utf8');
			} catch (error) {
				throw new CaoError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
			}
			const profile = parseProfile(text, basename(file));
			await mkdir(storeDir, { recursive: true, mode: 0o700 });
			// Written next to its final name and renamed: a reader never sees half a profile.
			const target = join(storeDir, `${profile.name}.md`);
			const partial = `${target}.${process.pid}.partial`;
			await copyFile(file, partial);
			await rename(partial, target);
			return profile;
		},
	};
};

export type ProfileStore = ReturnType<typeof createProfileStore>;
