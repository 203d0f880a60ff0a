/**
 * An error meant for the user: its message is one clear line, printed without a stack trace.
 * Anything else reaching the top level is a bug and is reported as such.
 */
export class CaoError extends Error {
	override readonly name: string = 'CaoError';
}

/** What was asked for does not exist (a terminal, a profile, a session). */
export class NotFoundError extends CaoError {
	override readonly name: string = 'NotFoundError';
}

export class TerminalNotFoundError extends NotFoundError {
	override readonly name = 'TerminalNotFoundError';
	constructor(readonly terminalId: string) {
		super(`unknown terminal '${terminalId}'`);
	}
}

export class ValidationError extends CaoError {
	override readonly name = 'ValidationError';
}

/** CAO_HOME (or the control socket) could be read or entered by another user: nothing starts. */
export class InsecureHomeError extends CaoError {
	override readonly name = 'InsecureHomeError';
}

/** The text of any thrown value, reduced to its first line. */
export const oneLine = (error: unknown): string => {
	const text = error instanceof Error ? error.message : String(error);
	return text.split('\n', 1)[0]?.trim() || 'unknown error';
};
