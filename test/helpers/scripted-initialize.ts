import type { InitializeContext, OutputSoFar } from '../../source/providers/types.js';

/**
 * An InitializeContext over a script: output arrives one step per wait, and each key answer may
 * add output. Records the keys sent.
 */
export const scriptedInitialize = (steps: string[], answers: Record<string, string>) => {
	let buffer = '';
	const sent: string[][] = [];
	const context: InitializeContext = {
		timeoutMs: 1000,
		waitForStatus: () => Promise.reject(new Error('unused')),
		waitForOutput: async (test) => {
			const begin = buffer.length;
			for (;;) {
				const output: OutputSoFar = { buffer, fresh: buffer.slice(begin) };
				if (test(output)) return output;
				const next = steps.shift();
				if (next === undefined) throw new Error('timed out');
				buffer += next;
			}
		},
		capture: async () => buffer,
		sendKeys: async (keys) => {
			sent.push([...keys]);
			buffer += answers[keys.join(' ')] ?? '';
		},
		paste: async () => {},
		waitForCaoTools: async () => true,
	};
	return { context, sent };
};
