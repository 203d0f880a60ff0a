import { ValidationError } from './errors.js';

/**
 * The names that come from outside (API paths and bodies, MCP tools, the command line, flow and
 * profile files) and end up in file paths, tmux targets, SQL rows and event topics. One validator
 * for all, so no entry point can forget one: no `/`, no `..`, no NUL, no spaces, bounded length.
 */

/** Terminal ids are 8 hex digits, as the engine makes them. */
export const terminalIdPattern = /^[0-9a-f]{8}$/;
/** Profile names become file names (`NAME.md`) and tmux window names. */
export const profileNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Flow names become session names (`cao-flow-NAME`) and event topics. */
export const flowNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
/** Who sent a message: a terminal id, or a name such as `user` for the command line. */
export const senderPattern = /^[A-Za-z0-9_-]{1,64}$/;
// 80 fits `cao-flow-` and a 64-character flow name; tmux takes far longer session names.
export const sessionPattern = /^cao-[A-Za-z0-9_-]{1,80}$/;

const rules = {
	'terminal id': { pattern: terminalIdPattern, rule: '8 hex digits' },
	'profile name': {
		pattern: profileNamePattern,
		rule: "letters, digits, '-' and '_', at most 64, starting with a letter or digit",
	},
	'flow name': { pattern: flowNamePattern, rule: "letters, digits, '-' and '_', at most 64" },
	sender: {
		pattern: senderPattern,
		rule: "a terminal id or a name: letters, digits, '-' and '_', at most 64",
	},
} as const;

export type NameKind = keyof typeof rules;

/** A name as an error message may show it: one line, printable, at most 64 characters. */
export const shownName = (value: unknown): string => {
	const text = typeof value === 'string' ? value : String(value);
	const printable = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
	return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
};

/** `value` when it is a valid name of `kind`; else one line saying what is allowed. */
export const assertName = (kind: NameKind, value: unknown): string => {
	const { pattern, rule } = rules[kind];
	if (typeof value !== 'string' || !pattern.test(value))
		throw new ValidationError(`invalid ${kind} '${shownName(value)}' (${rule})`);
	return value;
};

export const assertTerminalId = (value: unknown): string => assertName('terminal id', value);
export const assertProfileName = (value: unknown): string => assertName('profile name', value);
export const assertFlowName = (value: unknown): string => assertName('flow name', value);

/** Session names get the `cao-` prefix that marks our tmux sessions. */
export const sessionName = (name: string): string => {
	const full = name.startsWith('cao-') ? name : `cao-${name}`;
	if (!sessionPattern.test(full)) {
		throw new ValidationError(
			`invalid session name '${shownName(name)}': use letters, digits, '-' and '_' (at most 80)`,
		);
	}
	return full;
};
