import { describe, expect, it } from 'vitest';
import { fakeAgentScript, fakeProvider } from '../../source/providers/fake.js';
import type { DetectContext } from '../../source/providers/types.js';
import { launchOptions } from '../helpers/launch-options.js';
import { banner, frame, frameLine, prompt, reply, spinEnd, title } from '../helpers/fake-stream.js';

/** The spinner as `spin()` draws it, `count` frames, still spinning. */
const spinning = (count: number) =>
	title('⠋ fake-agent') + Array.from({ length: count }, (_, index) => frame(index)).join('');
/** The spinner after it finished: `spin()` clears its line. */
const spun = (count = 3) => `${spinning(count)}${spinEnd}`;
/** What the agent echoes for typed input and Enter. */
const typed = (input: string) => `${input}\r\n`;
const question = `${title('? fake-agent')}? Allow fake-agent to write notes.txt? (y/n) `;

const ready = banner + prompt;
const turn = (input: string, body: string) => typed(input) + spun() + body + prompt;

const idle: DetectContext = { afterInput: false, profile: null };
const afterInput: DetectContext = { afterInput: true, profile: null };

/** name, buffer, and the expected status, rule and line. */
type DetectCase = [string, string, string, string, string];

describe('fakeProvider.detect', () => {
	it.each(
		(
			[
				['banner then prompt', ready, 'idle', 'fake.prompt', '❯'],
				['input typed at the prompt, not sent', `${ready}hello`, 'idle', 'fake.prompt', '❯ hello'],
				[
					'banner only (still starting)',
					banner,
					'unknown',
					'fake.none',
					'╰──────────────────────────────────────╯',
				],
				[
					'spinner, newest frame wins',
					ready + typed('hi') + spinning(3),
					'processing',
					'fake.spinner',
					frameLine(2),
				],
				[
					'spinner after a cleared buffer',
					typed('hi') + spinning(12),
					'processing',
					'fake.spinner',
					frameLine(11),
				],
				[
					'reply then prompt',
					ready + turn('hi', reply(['Echo: hi'])),
					'completed',
					'fake.reply-then-prompt',
					'● Echo: hi',
				],
				[
					'reply then prompt, buffer cleared at input',
					turn('hi', reply(['Echo: hi'])),
					'completed',
					'fake.reply-then-prompt',
					'● Echo: hi',
				],
				[
					'error then prompt',
					ready + turn('!error', '✗ Error: simulated failure\r\n'),
					'error',
					'fake.error',
					'✗ Error: simulated failure',
				],
				[
					'a yes/no question',
					ready + typed('!ask') + spun() + question,
					'waiting_user_answer',
					'fake.question',
					'? Allow fake-agent to write notes.txt? (y/n)',
				],
				[
					'a question answered, then the reply',
					ready +
						typed('!ask') +
						spun() +
						question +
						typed('y') +
						spun() +
						reply(['Permission granted: wrote notes.txt']) +
						prompt,
					'completed',
					'fake.reply-then-prompt',
					'● Permission granted: wrote notes.txt',
				],
				[
					'a reply streaming, no prompt yet',
					ready + typed('!pause') + spun() + reply(['First half of the answer,']),
					'processing',
					'fake.streaming',
					'● First half of the answer,',
				],
				[
					'a multi-line reply streaming',
					ready +
						typed('!long') +
						spun() +
						reply(['Here is a long answer.', '', 'Point 1: a.', 'Point 2: b.']),
					'processing',
					'fake.streaming',
					'  Point 2: b.',
				],
				[
					'an older error does not count once a later turn replied',
					ready + turn('!error', '✗ Error: simulated failure\r\n') + turn('hi', reply(['Echo: hi'])),
					'completed',
					'fake.reply-then-prompt',
					'● Echo: hi',
				],
				[
					'an older reply does not count once a later turn was empty',
					ready + turn('hi', reply(['Echo: hi'])) + typed('') + prompt,
					'idle',
					'fake.prompt',
					'❯',
				],
				[
					'a new spinner after an older completed turn',
					ready + turn('hi', reply(['Echo: hi'])) + typed('again') + spinning(2),
					'processing',
					'fake.spinner',
					frameLine(1),
				],
				['garbage', 'hello world\r\n$ ls\r\nfile.txt\r\n', 'unknown', 'fake.none', 'file.txt'],
				['an empty buffer', '', 'unknown', 'fake.none', ''],
				['only blank lines', '\r\n\r\n  \r\n', 'unknown', 'fake.none', ''],
			] satisfies DetectCase[]
		).map(([name, buffer, status, rule, line]) => ({ name, buffer, status, rule, line })),
	)('$name -> $status', ({ buffer, status, rule, line }) => {
		expect(fakeProvider.detect(buffer, idle)).toEqual({ status, rule, line });
		// Detection reads the screen only: the latch is the monitor's business.
		expect(fakeProvider.detect(buffer, afterInput)).toEqual({ status, rule, line });
	});
});

describe('fakeProvider.extractLastReply', () => {
	// Plain text, as `tmux capture-pane -p` gives it: trailing blank rows of the pane included.
	const screen = (...rows: string[]) => [...rows, '', '', ''].join('\n');
	const bannerRows = [
		'╭──────────────────────────────────────╮',
		'│ Fake Agent (cao-tui test peer)       │',
		'╰──────────────────────────────────────╯',
		'',
	];

	it('returns only the last reply of two turns, without prompt or chrome', () => {
		const text = screen(...bannerRows, '❯ first', '● Echo: first', '', '❯ second', '● Echo: second', '', '❯');
		expect(fakeProvider.extractLastReply(text)).toBe('Echo: second');
	});

	it('un-indents a multi-line reply and keeps its inner blank lines and code indentation', () => {
		const text = screen(
			...bannerRows,
			'❯ first',
			'● Echo: first',
			'',
			'❯ !long',
			'● Here is a long answer with a code block.',
			'',
			'  Point 1: something worth saying.',
			'  ```js',
			'  function add(a, b) {',
			'    return a + b;',
			'  }',
			'  ```',
			'  End of the long answer.',
			'',
			'❯',
		);
		expect(fakeProvider.extractLastReply(text)).toBe(
			[
				'Here is a long answer with a code block.',
				'',
				'Point 1: something worth saying.',
				'```js',
				'function add(a, b) {',
				'  return a + b;',
				'}',
				'```',
				'End of the long answer.',
			].join('\n'),
		);
	});

	it('ignores text typed at the new prompt', () => {
		const text = screen('❯ first', '● Echo: first', '', '❯ half-typed next question');
		expect(fakeProvider.extractLastReply(text)).toBe('Echo: first');
	});

	it('works on the raw stream too: no spinner, escapes or prompt in the reply', () => {
		const raw = ready + turn('one', reply(['Echo: one'])) + turn('two', reply(['Echo: two', 'and more']));
		const extracted = fakeProvider.extractLastReply(raw);
		expect(extracted).toBe('Echo: two\nand more');
	});

	it.each([
		['an empty screen', screen()],
		['only the banner and prompt', screen(...bannerRows, '❯')],
		['a spinner and no reply yet', screen(...bannerRows, '❯ hi', '⠋ Thinking… (0s · esc to interrupt)')],
	])('returns an empty string for %s', (_name, text) => {
		expect(fakeProvider.extractLastReply(text)).toBe('');
	});

	// A last turn without a `●` reply has no reply: never an older reply run across later prompts.
	it.each([
		[
			'an error turn',
			screen('❯ first', '● Echo: first', '', '❯ !error', '✗ Error: simulated failure', '', '❯'),
		],
		['an empty Enter', screen('❯ first', '● Echo: first', '', '❯', '', '❯')],
	])('returns nothing when the last turn after a reply was %s', (_name, text) => {
		expect(fakeProvider.extractLastReply(text)).toBe('');
	});
});

describe('fakeProvider.launchCommand', () => {
	it('runs the fixture with node, passing the args and only the FAKE_AGENT_ settings', () => {
		const launch = fakeProvider.launchCommand(
			launchOptions({
				args: ['--think-ms', '10'],
				env: { FAKE_AGENT_THINK_MS: '5', FAKE_AGENT_UNSET: undefined, HOME: '/home/x', PATH: '/bin' },
			}),
		);
		expect(launch.command).toEqual([process.execPath, fakeAgentScript, '--think-ms', '10']);
		expect(launch.env).toEqual({ FAKE_AGENT_THINK_MS: '5' });
		expect(fakeAgentScript).toMatch(/fixtures[/\\]fake-agent\.mjs$/);
	});
});
