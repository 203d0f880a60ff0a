/**
 * Symlinks from where a CLI looks for its config to the launch files in a terminal's own folder
 * (`LaunchCommand.links`), for CLIs that cannot be pointed elsewhere (Amazon Q's agent files).
 *
 * Bookkeeping: each terminal's links are recorded in its config folder (`cao-links.json`) before
 * any is made, so whoever ends the terminal can take them back: `remove`, the exit path, a failed
 * create, and, for terminals that ended while no engine watched them, the sweep at engine start over
 * the folders of terminals whose rows are gone or exited. Links follow the row: a terminal left
 * running by a stopped engine keeps its link. A link is only ever removed while it still points at
 * the file recorded for it, and a file of the user's is never replaced.
 */
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { CaoError, oneLine } from '../../errors.js';
import type { LaunchFile, LaunchLink } from '../../providers/types.js';
import { terminalIdPattern } from './validation.js';

/** The record of a terminal's links, in its config folder. */
export const linksRecordName = 'cao-links.json';

type RecordedLink = { target: string; source: string };

export type LinkOptions = {
	/** The engine's folder of per-terminal folders: links into it are cao's own. */
	configRoot: string;
	/** This terminal's folder, where the launch files are. */
	configDir: string;
	files: readonly LaunchFile[];
	links: readonly LaunchLink[];
	/** Whether a terminal still runs: its links are not stale. */
	isLive: (terminalId: string) => boolean;
};

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

const lstatOrNone = (path: string) =>
	lstat(path).catch((error: unknown) => {
		if (errorCode(error) === 'ENOENT') return undefined;
		throw error;
	});

/** The terminal whose folder under `configRoot` a symlink at `path` points into, if any. */
const ownerOf = async (path: string, configRoot: string): Promise<string | undefined> => {
	const points = resolve(dirname(path), await readlink(path));
	const root = resolve(configRoot) + sep;
	if (!points.startsWith(root)) return undefined;
	const id = points.slice(root.length).split(sep, 1)[0] ?? '';
	return terminalIdPattern.test(id) ? id : undefined;
};

/** Where each link goes and what it points at; refuses links outside the launch files. */
const resolveLinks = (options: LinkOptions): RecordedLink[] => {
	const configDir = resolve(options.configDir);
	const files = new Set(options.files.map((file) => resolve(configDir, file.path)));
	return options.links.map((link) => {
		const source = resolve(configDir, link.path);
		if (!files.has(source)) throw new CaoError(`launch link '${link.path}' is not one of the launch files`);
		if (!isAbsolute(link.target)) throw new CaoError(`launch link target '${link.target}' is not absolute`);
		return { target: normalize(link.target), source };
	});
};

const makeLink = async ({ target, source }: RecordedLink, options: LinkOptions) => {
	await mkdir(dirname(target), { recursive: true, mode: 0o700 });
	const existing = await lstatOrNone(target);
	if (existing) {
		const owner = existing.isSymbolicLink() ? await ownerOf(target, options.configRoot) : undefined;
		if (owner === undefined) {
			throw new CaoError(`'${target}' already exists and is not cao-tui's: move it away to start this agent`);
		}
		const mine = owner === basename(resolve(options.configDir));
		if (!mine && options.isLive(owner)) {
			throw new CaoError(`'${target}' is in use by terminal ${owner}`);
		}
		// A dead terminal's link: replaceable. Unlink then symlink, so that a file someone puts
		// there in between makes symlink fail (EEXIST) rather than being replaced.
		await unlink(target).catch((error: unknown) => {
			if (errorCode(error) !== 'ENOENT') throw error;
		});
	}
	await symlink(source, target).catch((error: unknown) => {
		throw errorCode(error) === 'EEXIST'
			? new CaoError(`'${target}' appeared while cao-tui was linking it`)
			: error;
	});
};

/**
 * Makes the links (after the launch files are written). Recorded first, so that a failure
 * half-way, or a crash, leaves nothing that `removeLaunchLinks` or the sweep does not know of.
 */
export const createLaunchLinks = async (options: LinkOptions): Promise<void> => {
	const links = resolveLinks(options);
	if (links.length === 0) return;
	await writeFile(join(options.configDir, linksRecordName), `${JSON.stringify(links, null, '\t')}\n`, {
		mode: 0o600,
	});
	for (const link of links) {
		await makeLink(link, options).catch((error: unknown) => {
			// "ENOTDIR: not a directory, mkdir '…'": one line that names the link.
			throw error instanceof CaoError
				? error
				: new CaoError(`cannot link '${link.target}': ${oneLine(error)}`);
		});
	}
};

const readRecord = async (configDir: string): Promise<RecordedLink[] | undefined> => {
	let text: string;
	try {
		text = await readFile(join(configDir, linksRecordName), 'utf8');
	} catch (error) {
		if (errorCode(error) === 'ENOENT') return undefined;
		throw error;
	}
	const parsed: unknown = JSON.parse(text);
	if (!Array.isArray(parsed)) throw new CaoError(`${join(configDir, linksRecordName)} is not a list`);
	return parsed.filter(
		(entry): entry is RecordedLink => typeof entry?.target === 'string' && typeof entry?.source === 'string',
	);
};

/**
 * Removes a terminal's recorded links that still point at its files (one replaced by the user
 * since is left alone), then the record. On a failure the record stays, for the next sweep.
 */
export const removeLaunchLinks = async (configDir: string): Promise<void> => {
	const links = await readRecord(configDir);
	if (!links) return;
	const failures: string[] = [];
	for (const { target, source } of links) {
		try {
			const existing = await lstatOrNone(target);
			if (existing?.isSymbolicLink() && (await readlink(target)) === source) await unlink(target);
		} catch (error) {
			if (errorCode(error) !== 'ENOENT') failures.push(`${target}: ${oneLine(error)}`);
		}
	}
	if (failures.length > 0) throw new CaoError(`cannot remove launch links: ${failures.join('; ')}`);
	await rm(join(configDir, linksRecordName), { force: true });
};

/**
 * Takes back the links of terminals that are no longer live (their cleanup failed, or they ended
 * while no engine watched them). Returns one message per folder that failed.
 */
export const sweepLaunchLinks = async (
	configRoot: string,
	isLive: (terminalId: string) => boolean,
): Promise<string[]> => {
	let entries: string[];
	try {
		entries = await readdir(configRoot);
	} catch (error) {
		if (errorCode(error) === 'ENOENT') return [];
		throw error;
	}
	const failures: string[] = [];
	for (const id of entries) {
		if (!terminalIdPattern.test(id) || isLive(id)) continue;
		await removeLaunchLinks(join(configRoot, id)).catch((error: unknown) =>
			failures.push(`terminal ${id}: ${oneLine(error)}`),
		);
	}
	return failures;
};
