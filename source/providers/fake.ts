import { fileURLToPath } from 'node:url';
import { answerDialogsUntilIdle } from './initialize.js';
import { lastNonBlank, lastTurn, normalizeStream } from './text.js';
import type { Detection, Provider } from './types.js';

export const fakeAgentScript = fileURLToPath(new URL('../../fixtures/fake-agent.mjs', import.meta.url));

// "❯ " or "❯ typed text" — the input prompt.
const promptLine = /^❯(?: |$)/;
// "⠋ Thinking… (2s · esc to interrupt)" — the spinner while it works.
const spinnerLine = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] .*esc to interrupt/;
// "? Allow fake-agent to write notes.txt? (y/n)" — a permission question.
const questionLine = /\(y\/n\)\s*$/;
// "   2. No, exit" — the last option of the trust dialog, under " ❯ 1. Yes, I trust this folder".
const trustDialogLine = /^\s*2\. No, exit$/;
// "● Echo: hello" — the first line of a reply.
const replyLine = /^● /;
// "✗ Error: simulated failure"
const errorLine = /^✗ Error:/;

const isPrompt = (line: string) => promptLine.test(line);

export const fakeProvider: Provider = {
	name: 'fake',
	input: {
		submitDelayMs: 50,
		enterCount: 1,
		acceptsInputWhileProcessing: false,
		exit: { text: '!exit' },
	},
	initTimeoutMs: 10_000,

	launchCommand({ args, env }) {
		const forwarded = Object.fromEntries(
			Object.entries(env).filter(
				(entry): entry is [string, string] => entry[0].startsWith('FAKE_AGENT_') && entry[1] !== undefined,
			),
		);
		return { command: [process.execPath, fakeAgentScript, ...args], env: forwarded };
	},

	async initialize(context) {
		await answerDialogsUntilIdle(this, context, [
			// " ❯ 1. Yes, I trust this folder"
			{ name: 'trust this folder', pattern: /Yes, I trust this folder/, keys: ['1'] },
		]);
	},

	detect(buffer): Detection {
		const { lines } = normalizeStream(buffer);
		const [last = ''] = lastNonBlank(lines, 1);
		const turn = lastTurn(lines, isPrompt);
		if (isPrompt(last)) {
			const error = turn.find((line) => errorLine.test(line));
			if (error) return { status: 'error', rule: 'fake.error', line: error };
			const reply = turn.find((line) => replyLine.test(line));
			if (reply) return { status: 'completed', rule: 'fake.reply-then-prompt', line: reply };
			return { status: 'idle', rule: 'fake.prompt', line: last };
		}
		if (spinnerLine.test(last)) return { status: 'processing', rule: 'fake.spinner', line: last };
		if (trustDialogLine.test(last)) return { status: 'waiting_user_answer', rule: 'fake.dialog', line: last };
		if (questionLine.test(last)) {
			return { status: 'waiting_user_answer', rule: 'fake.question', line: last };
		}
		// A reply still streaming: a reply line in this turn, and no prompt after it yet.
		if (turn.some((line) => replyLine.test(line))) {
			return { status: 'processing', rule: 'fake.streaming', line: last };
		}
		return { status: 'unknown', rule: 'fake.none', line: last };
	},

	extractLastReply(screen) {
		const turn = lastTurn(normalizeStream(screen).lines, isPrompt);
		const start = turn.findIndex((line) => replyLine.test(line));
		if (start === -1) return '';
		return turn
			.slice(start)
			.map((line, index) => (index === 0 ? line.slice(2) : line.replace(/^ {2}/, '')))
			.join('\n')
			.trim();
	},
};
