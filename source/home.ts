import { chmodSync, existsSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { InsecureHomeError } from './errors.js';

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * CAO_HOME holds the control socket, the database and the agents' logs: it must be this user's
 * alone. A missing one is created 0700; an existing one owned by someone else, or open to the
 * group or others, is refused (never silently chmod'ed: the user should know it was open).
 */
export const preparePrivateHome = (home: string): void => {
	if (!existsSync(home)) mkdirSync(home, { recursive: true, mode: 0o700 });
	// A symlink is followed (~/.cao may point elsewhere): what counts is the folder it reaches.
	const info = statSync(home);
	if (!info.isDirectory()) throw new InsecureHomeError(`${home} is not a folder (CAO_HOME must be one)`);
	const uid = process.getuid?.();
	if (uid !== undefined && info.uid !== uid)
		throw new InsecureHomeError(
			`${home} is owned by uid ${info.uid}, not you (uid ${uid}): use a CAO_HOME of your own`,
		);
	if ((info.mode & 0o077) !== 0)
		throw new InsecureHomeError(
			`${home} is open to other users (mode ${octal(info.mode)}): run chmod 700 ${home}`,
		);
};

/** The control socket is made 0600 and checked: only this user may connect. */
export const securePrivateSocket = (socketPath: string): void => {
	chmodSync(socketPath, 0o600);
	const info = lstatSync(socketPath);
	const uid = process.getuid?.();
	if (!info.isSocket() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o777) !== 0o600)
		throw new InsecureHomeError(
			`the control socket ${socketPath} is not private (mode ${octal(info.mode)}, uid ${info.uid})`,
		);
};
