import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findLastIndex, lastNonBlank, normalizeStream, plainText } from '../../source/providers/text.js';
import { randomFrom } from '../helpers/seeded-random.js';

const lines = (raw: string) => normalizeStream(raw).lines;

const capturesFolder = fileURLToPath(new URL('../../../shared/captures', import.meta.url));

/** normalizeStream as it was: a chain of whole-text replacements, kept as the model to match. */
const regexChain = (raw: string) => {
	let title: string | null = null;
	const moves: Record<string, (count: number) => string> = {
		C: (count) => ' '.repeat(Math.min(count, 200)),
		G: (count) => (count <= 1 ? '\n' : ' '),
	};
	const text = raw
		.replace(/\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[P_][^\x1b]*|[()])?$/, '')
		.replace(/\x1b\](\d*);?([^\x07\x1b]*)(?:\x07|\x1b\\)/g, (_match, code: string, value: string) => {
			if (code === '0' || code === '2') title = value;
			return '';
		})
		.replace(/\x1b\[([0-?]*)[ -/]*([@-~])/g, (_match, params: string, final: string) =>
			'HfABEFdJ'.includes(final) ? '\n' : (moves[final]?.(Number.parseInt(params, 10) || 1) ?? ''),
		)
		.replace(/\x1bP[^\x1b]*\x1b\\|\x1b_[^\x1b]*\x1b\\|\x1b[()][0-9A-Za-z]|\x1b[78=>DEHMc]/g, '')
		.replace(/\x1b/g, '')
		.replace(/[\x00-\x08\x0b-\x0c\x0e-\x1a\x1c-\x1f\x7f]/g, '')
		.replace(/\r\n/g, '\n')
		.replace(/\r/g, '\n');
	return { lines: text.split('\n').map((line) => line.trimEnd()), title };
};

describe('normalizeStream', () => {
	it('turns `\\r` redraws into lines, so the newest spinner frame is the last line', () => {
		const raw =
			'\r\x1b[2K⠋ Thinking… (0s · esc to interrupt)' +
			'\r\x1b[2K⠙ Thinking… (0s · esc to interrupt)' +
			'\r\x1b[2K⠹ Thinking… (1s · esc to interrupt)';
		const result = lines(raw);
		expect(lastNonBlank(result, 1)).toEqual(['⠹ Thinking… (1s · esc to interrupt)']);
		expect(result.filter((line) => line.includes('Thinking'))).toHaveLength(3);
	});

	it.each([
		['bare carriage returns', 'a\rb\rc', ['a', 'b', 'c']],
		['CRLF is one line break', 'a\r\nb\r\n', ['a', 'b', '']],
		['LF', 'a\nb', ['a', 'b']],
		['cursor position H', 'top\x1b[5;1Hfoo\x1b[6;1Hbar', ['top', 'foo', 'bar']],
		['cursor position f', 'x\x1b[2;3fy', ['x', 'y']],
		['cursor up and down', 'a\x1b[Ab\x1b[2Bc', ['a', 'b', 'c']],
		['erase line after a move: one break, not two', 'a\x1b[5;1H\x1b[2Kb', ['a', 'b']],
		['erase line after a carriage return', 'a\r\x1b[2Kb', ['a', 'b']],
		['column 1 is a carriage return', '⠙ Thinking...\x1b[1G\x1b[2K> reply', ['⠙ Thinking...', '> reply']],
		['another column is a gap', 'a\x1b[10Gb', ['a b']],
		['an escape cut off at the end', 'prompt > \x1b[3', ['prompt >']],
		['a title cut off at the end', 'x\x1b]0;half a tit', ['x']],
		['erase display', 'a\x1b[2Jb', ['a', 'b']],
		['cursor forward with a count', 'a\x1b[3Cb', ['a   b']],
		['cursor forward without a count', 'a\x1b[Cb', ['a b']],
		['column absolute', 'a\x1b[10Gb', ['a b']],
		[
			'SGR colours',
			'\x1b[1;31mred\x1b[0m \x1b[38;5;12mblue\x1b[m \x1b[38;2;1;2;3mrgb\x1b[39m',
			['red blue rgb'],
		],
		['private modes', '\x1b[?2004h\x1b[?25lok\x1b[?25h', ['ok']],
		['charset and save/restore escapes', '\x1b(Ba\x1b7b\x1b8c\x1b=', ['abc']],
		['DCS and APC strings', 'a\x1bPq#0\x1b\\b\x1b_hidden\x1b\\c', ['abc']],
		['C0 controls and DEL', 'a\x07b\x00c\x08d\x7fe', ['abcde']],
		['tabs stay', 'a\tb', ['a\tb']],
		['trailing spaces are trimmed, leading ones kept', '  indented   \r\n', ['  indented', '']],
		['empty input', '', ['']],
	])('%s', (_name, raw, expected) => {
		expect(lines(raw)).toEqual(expected);
	});

	it('caps a huge cursor-forward at 200 spaces', () => {
		expect(lines('a\x1b[9999Cb')).toEqual([`a${' '.repeat(200)}b`]);
	});

	it.each([
		['OSC 0 with BEL', '\x1b]0;✳ claude\x07hello', '✳ claude'],
		['OSC 2 with ST', '\x1b]2;my title\x1b\\hello', 'my title'],
		['the last title wins', '\x1b]0;first\x07\x1b]2;second\x1b\\hello', 'second'],
		['OSC 1 (icon name) is not a title', '\x1b]1;icon\x07hello', null],
		['OSC 8 hyperlink is not a title', '\x1b]8;;https://x.test\x1b\\hello\x1b]8;;\x1b\\', null],
		['no OSC at all', 'hello', null],
	])('title: %s', (_name, raw, title) => {
		const result = normalizeStream(raw);
		expect(result.title).toBe(title);
		expect(result.lines).toEqual(['hello']);
	});

	it('reads every stream as the chain of regex replacements it replaced did', () => {
		// The tokens a stream is made of; a lone ESC is never followed by another escape, the one
		// case where the chain (which could join what it had cut apart) read differently.
		const tokens = [
			'text',
			' ',
			'  ',
			'⠋',
			'●',
			'é',
			'\t',
			'\r',
			'\n',
			'\r\n',
			'\x00',
			'\x07',
			'\x7f',
			'\x1b[2K',
			'\x1b[5;1H',
			'\x1b[A',
			'\x1b[3C',
			'\x1b[C',
			'\x1b[1G',
			'\x1b[10G',
			'\x1b[2J',
			'\x1b[1;31m',
			'\x1b[?2004h',
			'\x1b[ q',
			'\x1b]0;title\x07',
			'\x1b]2;t\r\nx\x1b\\',
			'\x1b]8;;u\x1b\\',
			'\x1bPq#0\x1b\\',
			'\x1b_apc\x1b\\',
			'\x1b(B',
			'\x1b7',
			'\x1b=',
			'\x1bZ',
		];
		const next = randomFrom(11);
		const random = (below: number) => Math.floor(next() * below);
		const cutEnds = ['', '\x1b', '\x1b[3', '\x1b]0;half', '\x1bPq', '\x1b('];
		for (let stream = 0; stream < 3000; stream++) {
			let raw = '';
			for (let count = random(30); count > 0; count--) {
				const token = tokens[random(tokens.length)] as string;
				raw += raw.endsWith('\x1bZ') && token.startsWith('\x1b') ? 'z' : token;
			}
			raw += cutEnds[random(cutEnds.length)];
			expect(normalizeStream(raw), JSON.stringify(raw)).toEqual(regexChain(raw));
		}
	});

	it.skipIf(!existsSync(capturesFolder))('reads every capture as the chain of regex replacements did', () => {
		for (const name of readdirSync(capturesFolder).filter((file) => file.endsWith('.txt'))) {
			const raw = readFileSync(join(capturesFolder, name), 'utf8');
			expect(normalizeStream(raw), name).toEqual(regexChain(raw));
		}
	});

	it('handles a realistic fake-agent frame', () => {
		const raw =
			'\x1b[?2004h╭──╮\r\n│ Fake │\r\n╰──╯\r\n\x1b]0;✳ fake-agent\x07\r\n❯ hi\r\n' +
			'\x1b]0;⠋ fake-agent\x07\r\x1b[2K⠋ Thinking… (0s · esc to interrupt)\r\x1b[2K' +
			'● Echo: hi\r\n\x1b]0;✳ fake-agent\x07\r\n❯ ';
		const result = normalizeStream(raw);
		expect(result.title).toBe('✳ fake-agent');
		expect(lastNonBlank(result.lines, 3)).toEqual(['⠋ Thinking… (0s · esc to interrupt)', '● Echo: hi', '❯']);
		expect(result.lines.join('')).not.toMatch(/\x1b/);
	});
});

describe('plainText', () => {
	it('joins the normalized lines', () => {
		expect(plainText('\x1b[32mgreen\x1b[0m\r\nnext   \rover')).toBe('green\nnext\nover');
	});
});

describe('lastNonBlank', () => {
	const sample = ['a', '', 'b', '   ', 'c', '', '\t'];

	it.each([
		[1, ['c']],
		[2, ['b', 'c']],
		[3, ['a', 'b', 'c']],
		[10, ['a', 'b', 'c']],
		[0, []],
	])('count %i -> %j', (count, expected) => {
		expect(lastNonBlank(sample, count)).toEqual(expected);
	});

	it('returns nothing for only blank lines', () => {
		expect(lastNonBlank(['', ' ', ''], 2)).toEqual([]);
		expect(lastNonBlank([], 2)).toEqual([]);
	});
});

describe('findLastIndex', () => {
	const sample = ['x', 'a', 'x', 'b'];
	const isX = (line: string) => line === 'x';

	it.each([
		['no bound', undefined, 2],
		['before the last match', 2, 0],
		['before index 3', 3, 2],
		['bound past the end', 99, 2],
		['bound 0', 0, -1],
		['negative bound', -1, -1],
	])('%s', (_name, before, expected) => {
		expect(findLastIndex(sample, isX, before)).toBe(expected);
	});

	it('returns -1 when nothing matches', () => {
		expect(findLastIndex(sample, (line) => line === 'z')).toBe(-1);
		expect(findLastIndex([], isX)).toBe(-1);
	});
});
