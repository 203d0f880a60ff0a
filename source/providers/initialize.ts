import { normalizeStream } from './text.js';
import type { InitializeContext, OutputSoFar, Provider } from './types.js';

/** A first-run dialog: how to recognise it on screen, and the keys that dismiss it. */
export type Dialog = {
	name: string;
	/** Tested against each of the last lines of the normalised stream. */
	pattern: RegExp;
	keys: readonly string[];
};

const dialogIn = (dialogs: readonly Dialog[], text: string): Dialog | undefined => {
	const lines = normalizeStream(text).lines.slice(-60);
	return dialogs.find((dialog) => lines.some((line) => dialog.pattern.test(line)));
};

/** How long a screen must stay unchanged before it is taken as what the CLI means to show. */
const settleMs = 400;

/**
 * Waits until nothing new has come for `quietMs` (or the deadline): a CLI that is still drawing, or
 * still reading the terminal's answers to its start-up queries, may yet turn an idle screen into a
 * dialog, or drop a key sent to it (Claude Code 2.1 loses a "1" sent to its trust dialog the moment
 * the dialog is drawn). Resolves with the buffer and everything that came meanwhile.
 */
const settle = async (
	context: Pick<InitializeContext, 'waitForOutput'>,
	quietMs: number,
	left: () => number,
): Promise<OutputSoFar> => {
	let fresh = '';
	for (;;) {
		const drawn = await context
			.waitForOutput((output) => output.fresh.length > 0, Math.min(quietMs, left()))
			.catch(() => undefined);
		if (drawn) fresh += drawn.fresh;
		if (!drawn || left() <= 1) {
			const { buffer } = await context.waitForOutput(() => true, left());
			return { buffer, fresh };
		}
	}
};

/**
 * Starts a CLI the common way: until the provider detects idle, answer whatever known dialog
 * (trust this folder, bypass-permissions warning, update offer, API-key confirmation) shows up.
 * Each answer waits for the screen to settle first; after an answer only output that came since
 * counts, so one dialog is answered once. The whole takes at most `context.timeoutMs`.
 */
export const answerDialogsUntilIdle = async (
	provider: Pick<Provider, 'detect'>,
	context: InitializeContext,
	dialogs: readonly Dialog[],
): Promise<void> => {
	const deadline = Date.now() + context.timeoutMs;
	const left = () => Math.max(1, deadline - Date.now());
	const idle = (buffer: string) =>
		provider.detect(buffer, { afterInput: false, profile: null }).status === 'idle';
	let answered = 0;
	for (let first = true; ; first = false) {
		const scope = (output: OutputSoFar) => (first ? output.buffer : output.fresh);
		const found = (output: OutputSoFar) =>
			idle(output.buffer) || dialogIn(dialogs, scope(output)) !== undefined;
		const seen = await context.waitForOutput(found, left());
		if (idle(seen.buffer)) return;
		const settled = await settle(context, settleMs, left);
		if (idle(settled.buffer)) return;
		const dialog = dialogIn(dialogs, scope({ buffer: settled.buffer, fresh: seen.fresh + settled.fresh }));
		if (!dialog) continue;
		if (++answered > dialogs.length * 3) throw new Error(`the '${dialog.name}' dialog keeps coming back`);
		await context.sendKeys(dialog.keys);
	}
};
