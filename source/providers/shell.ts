import { findLastIndex, lastNonBlank, lastTurn, normalizeStream } from './text.js';
import type { Detection, Provider } from './types.js';

/** The prompt the shell provider sets, so detection does not depend on the user's rc files. */
export const shellPrompt = 'cao$ ';

// "cao$ " or "cao$ ls -la" — our PS1, with or without a typed command.
const promptLine = /^cao\$(?: |$)/;
const isPrompt = (line: string) => promptLine.test(line);

/** A plain interactive bash: useful for scripts, and as the simplest provider. */
export const shellProvider: Provider = {
	name: 'shell',
	input: { submitDelayMs: 0, enterCount: 1, acceptsInputWhileProcessing: true, exit: { text: 'exit' } },
	initTimeoutMs: 5_000,

	launchCommand({ args }) {
		return {
			command: ['bash', '--norc', '--noprofile', '-i', ...args],
			env: { PS1: shellPrompt, PS2: '> ', HISTFILE: '/dev/null' },
		};
	},

	async initialize(context) {
		await context.waitForStatus(['idle'], context.timeoutMs);
	},

	detect(buffer, context): Detection {
		const { lines } = normalizeStream(buffer);
		const [last = ''] = lastNonBlank(lines, 1);
		if (!isPrompt(last)) {
			return context.afterInput
				? { status: 'processing', rule: 'shell.running', line: last }
				: { status: 'unknown', rule: 'shell.none', line: last };
		}
		// A command ran when something stands between the prompt it was typed at (or, after input,
		// the start of the cleared buffer: its echo) and this prompt.
		const lastIndex = lines.lastIndexOf(last);
		const previous = findLastIndex(lines, isPrompt, lastIndex);
		const ran =
			(previous !== -1 || context.afterInput) &&
			lines.slice(previous + 1, lastIndex).some((line) => line.trim());
		return ran
			? { status: 'completed', rule: 'shell.prompt-after-output', line: last }
			: { status: 'idle', rule: 'shell.prompt', line: last };
	},

	extractLastReply(screen) {
		return lastTurn(normalizeStream(screen).lines, isPrompt).join('\n').trim();
	},
};
