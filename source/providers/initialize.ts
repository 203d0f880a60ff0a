import { normalizeStream } from './text.js';
import type { InitializeContext, Provider } from './types.js';

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

/**
 * Starts a CLI the common way: until the provider detects idle, answer whatever known dialog
 * (trust this folder, bypass-permissions warning, update offer, API-key confirmation) shows up.
 * After an answer only output that came since counts, so one dialog is answered once. The whole
 * takes at most `context.timeoutMs`.
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
		const scope = (output: { buffer: string; fresh: string }) => (first ? output.buffer : output.fresh);
		const output = await context.waitForOutput(
			(seen) => idle(seen.buffer) || dialogIn(dialogs, scope(seen)) !== undefined,
			left(),
		);
		if (idle(output.buffer)) return;
		const dialog = dialogIn(dialogs, scope(output));
		if (!dialog) continue;
		if (++answered > dialogs.length * 3) throw new Error(`the '${dialog.name}' dialog keeps coming back`);
		await context.sendKeys(dialog.keys);
	}
};
