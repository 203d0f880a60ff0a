import { describe, expect, it } from 'vitest';
import { shellPrompt, shellProvider } from '../../source/providers/shell.js';
import { launchOptions } from '../helpers/launch-options.js';

// bash 5.1+ with readline: bracketed paste on before each prompt, off (then `\r`) after Enter.
const prompt = `\x1b[?2004h${shellPrompt}`;
const enter = '\r\n\x1b[?2004l\r';
/** A command typed at a prompt, run, and followed by the next prompt. */
const ran = (command: string, output: string) => `${prompt}${command}${enter}${output}`;

describe('shellProvider.detect', () => {
	it.each([
		{
			name: 'first prompt',
			buffer: prompt,
			afterInput: false,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$',
		},
		{
			name: 'first prompt after startup noise',
			buffer: `bash: no job control in this shell\r\n${prompt}`,
			afterInput: false,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$',
		},
		{
			name: 'command typed, not run',
			buffer: `${prompt}ls -la`,
			afterInput: false,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$ ls -la',
		},
		{
			name: 'command with output, then the prompt',
			buffer: ran('echo hi', 'hi\r\n') + prompt,
			afterInput: false,
			status: 'completed',
			rule: 'shell.prompt-after-output',
			line: 'cao$',
		},
		{
			name: 'empty Enter',
			buffer: ran('', '') + prompt,
			afterInput: false,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$',
		},
		{
			name: 'cleared buffer after input: echo and output, then the prompt',
			buffer: `echo hi${enter}hi\r\n${prompt}`,
			afterInput: true,
			status: 'completed',
			rule: 'shell.prompt-after-output',
			line: 'cao$',
		},
		{
			name: 'cleared buffer after input: a silent command still echoes',
			buffer: `true${enter}${prompt}`,
			afterInput: true,
			status: 'completed',
			rule: 'shell.prompt-after-output',
			line: 'cao$',
		},
		{
			name: 'cleared buffer after input: empty Enter',
			buffer: `${enter}${prompt}`,
			afterInput: true,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$',
		},
		{
			name: 'output without a prompt before it and no input (not ours)',
			buffer: `hi\r\n${prompt}`,
			afterInput: false,
			status: 'idle',
			rule: 'shell.prompt',
			line: 'cao$',
		},
		{
			name: 'command running after input',
			buffer: `sleep 5${enter}`,
			afterInput: true,
			status: 'processing',
			rule: 'shell.running',
			line: 'sleep 5',
		},
		{
			name: 'continuation prompt after input',
			buffer: `for i in 1 2${enter}> `,
			afterInput: true,
			status: 'processing',
			rule: 'shell.running',
			line: '>',
		},
		{
			name: 'output without a prompt and no input',
			buffer: 'some output\r\n',
			afterInput: false,
			status: 'unknown',
			rule: 'shell.none',
			line: 'some output',
		},
		{ name: 'empty buffer', buffer: '', afterInput: false, status: 'unknown', rule: 'shell.none', line: '' },
		{
			name: 'a prompt-looking word that is not our prompt',
			buffer: 'cao$x\r\n',
			afterInput: false,
			status: 'unknown',
			rule: 'shell.none',
			line: 'cao$x',
		},
	])('$name -> $status', ({ buffer, afterInput, status, rule, line }) => {
		expect(shellProvider.detect(buffer, { afterInput, profile: null })).toEqual({ status, rule, line });
	});
});

describe('shellProvider.extractLastReply', () => {
	const screen = (...rows: string[]) => [...rows, '', '', ''].join('\n');

	it('returns the output of the last command only, without its command line or the prompt', () => {
		const text = screen('cao$ echo one', 'one', 'cao$ printf "a\\n  b\\n"', 'a', '  b', 'cao$');
		expect(shellProvider.extractLastReply(text)).toBe('a\n  b');
	});

	it('ignores a command typed at the last prompt', () => {
		const text = screen('cao$ echo one', 'one', 'cao$ echo two');
		expect(shellProvider.extractLastReply(text)).toBe('one');
	});

	it('works on the raw stream too', () => {
		const raw = `${ran('echo one', 'one\r\n')}${ran('ls', '\x1b[01;34mdir\x1b[0m  file\r\n')}${prompt}`;
		expect(shellProvider.extractLastReply(raw)).toBe('dir  file');
	});

	it.each([
		['an empty screen', screen()],
		['a single prompt', screen('cao$')],
		['a command with no output', screen('cao$ true', 'cao$')],
	])('returns an empty string for %s', (_name, text) => {
		expect(shellProvider.extractLastReply(text)).toBe('');
	});
});

describe('shellProvider.launchCommand', () => {
	it('starts a clean interactive bash with our prompt and no history file', () => {
		const launch = shellProvider.launchCommand(launchOptions({ args: ['-x'], env: { PS1: 'user$ ' } }));
		expect(launch.command).toEqual(['bash', '--norc', '--noprofile', '-i', '-x']);
		expect(launch.env).toMatchObject({ PS1: 'cao$ ', HISTFILE: '/dev/null' });
	});
});
