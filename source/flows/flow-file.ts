import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { onPath } from '../config.js';
import { CaoError, oneLine, ValidationError } from '../errors.js';
import type { ProfileStore } from '../profiles/profile-store.js';
import { getProvider } from '../providers/registry.js';
import { type Flow, nextRunAfter, parseFlow, renderPrompt } from './flow.js';

/** Reads and checks a flow file; one line when it cannot be read or is malformed. */
export const loadFlow = async (file: string): Promise<Flow> => {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new CaoError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
	}
	return parseFlow(text, file);
};

/**
 * The gate's argument vector: `script` split on spaces (no shell), a command with a `/` taken
 * from the flow file's folder, a bare one from PATH.
 */
export const gateCommand = (script: string, folder: string): { program: string; args: string[] } => {
	const [command = '', ...args] = script.trim().split(/\s+/);
	return { program: command.includes('/') ? resolve(folder, command) : command, args };
};

/**
 * Why another user could change what `path` (a flow file or its gate script) makes the engine
 * run as you: it is writable by everyone, or owned by someone else (root aside). Undefined when
 * it is safe, or missing (that is reported on its own).
 */
const openToOthers = async (path: string): Promise<string | undefined> => {
	const info = await stat(path).catch(() => undefined);
	if (!info) return undefined;
	const uid = process.getuid?.();
	if (uid !== undefined && info.uid !== uid && info.uid !== 0)
		return `${path} is owned by uid ${info.uid}, not you: another user decides what it runs`;
	if ((info.mode & 0o002) !== 0)
		return `${path} is writable by every user (mode 0${(info.mode & 0o777).toString(8)}): run chmod o-w ${path}`;
	return undefined;
};

/**
 * What makes a registered flow unsafe to run: its file, or its gate script when that is a file
 * next to it (a bare command comes from PATH), open to other users.
 */
export const flowTrustProblem = async (
	flow: Pick<Flow, 'script'>,
	file: string,
): Promise<string | undefined> => {
	const program = flow.script ? gateCommand(flow.script, dirname(file)).program : '';
	return (await openToOthers(file)) ?? (program.includes('/') ? await openToOthers(program) : undefined);
};

const isExecutable = (path: string) =>
	access(path, constants.X_OK).then(
		() => true,
		() => false,
	);

/** Why the gate `program` cannot start, or undefined when it can. */
const gateProblem = async (program: string): Promise<string | undefined> => {
	if (program.includes('/')) {
		const info = await stat(program).catch(() => undefined);
		if (!info?.isFile()) return `${program} not found`;
		return (await isExecutable(program)) ? undefined : `${program} is not executable (chmod +x)`;
	}
	if (onPath(program)) return undefined;
	return `${program} is not on PATH (a script next to the flow file is ./${program})`;
};

/**
 * What `flow add` checks beyond the file's own fields, so that a flow it accepts can run: the
 * profile and provider exist, the gate script and working directory are there, and the schedule
 * comes round after `now`. The first problem is one line naming the file and the field.
 */
export const checkFlow = async (
	flow: Flow,
	file: string,
	profiles: Pick<ProfileStore, 'get'>,
	now: number,
): Promise<void> => {
	const fail = (field: string, problem: string) =>
		new ValidationError(`flow ${file}: field '${field}': ${problem}`);
	const untrusted = await openToOthers(file);
	if (untrusted) throw new ValidationError(`flow ${file}: ${untrusted}`);
	const profile = await profiles.get(flow.agentProfile).catch((error: unknown) => {
		throw fail('agent_profile', oneLine(error));
	});
	const provider = flow.provider ?? profile.provider;
	if (!provider)
		throw fail(
			'provider',
			`profile '${profile.name}' names no provider: give one in the flow or the profile`,
		);
	// A profile's own provider was checked when the profile was read.
	try {
		getProvider(provider);
	} catch (error) {
		throw fail('provider', oneLine(error));
	}
	const folder = dirname(file);
	// Placeholders only a script can fill.
	if (!flow.script)
		try {
			renderPrompt(flow.prompt, {});
		} catch (error) {
			throw fail('script', `${oneLine(error)} in the prompt, and no script gives it`);
		}
	if (flow.script) {
		const program = gateCommand(flow.script, folder).program;
		const problem =
			(await gateProblem(program)) ?? (program.includes('/') ? await openToOthers(program) : undefined);
		if (problem) throw fail('script', problem);
	}
	if (flow.workingDirectory) {
		const path = resolve(folder, flow.workingDirectory);
		const info = await stat(path).catch(() => undefined);
		if (!info) throw fail('working_directory', `${path} not found`);
		if (!info.isDirectory()) throw fail('working_directory', `${path} is not a folder`);
	}
	if (nextRunAfter(flow, now) === null)
		throw fail('schedule', `'${flow.schedule}' never comes round (no next run)`);
};
