import { describe, expect, it } from 'vitest';
import {
	assertEnv,
	maxInputBytes,
	sanitizeInput,
	sessionName,
	terminalIdPattern,
} from '../../../source/engine/terminals/validation.js';
import { ValidationError } from '../../../source/errors.js';

describe('terminalIdPattern', () => {
	it.each(['a1b2c3d4', '00000000', 'ffffffff'])('accepts %s', (id) => {
		expect(terminalIdPattern.test(id)).toBe(true);
	});

	it.each([
		['upper case', 'A1B2C3D4'],
		['too short', 'a1b2c3d'],
		['too long', 'a1b2c3d45'],
		['not hex', 'a1b2c3dg'],
		['path traversal', '../../x'],
		['a dot', 'a1b2.3d4'],
		['a newline after', 'a1b2c3d4\n'],
		['empty', ''],
	])('rejects %s', (_name, id) => {
		expect(terminalIdPattern.test(id)).toBe(false);
	});
});

describe('sessionName', () => {
	it.each([
		['work', 'cao-work'],
		['cao-work', 'cao-work'],
		['my_Session-2', 'cao-my_Session-2'],
		['x'.repeat(80), `cao-${'x'.repeat(80)}`],
	])('%s -> %s', (name, expected) => {
		expect(sessionName(name)).toBe(expected);
	});

	it.each([
		['path traversal', '../x'],
		['a slash', 'a/b'],
		['a space', 'my session'],
		['a dot', 'a.b'],
		['a colon (tmux target separator)', 'a:b'],
		['too long', 'x'.repeat(81)],
		['too long with the prefix', `cao-${'x'.repeat(81)}`],
		['empty', ''],
		['only the prefix', 'cao-'],
		['a newline', 'work\n'],
	])('rejects %s', (_name, name) => {
		expect(() => sessionName(name)).toThrow(ValidationError);
	});

	it('explains the rule', () => {
		expect(() => sessionName('my session')).toThrow(
			"invalid session name 'my session': use letters, digits, '-' and '_' (at most 80)",
		);
	});
});

describe('assertEnv', () => {
	it('accepts valid names and returns a copy', () => {
		const env = { PATH: '/bin', _private: '', FAKE_AGENT_THINK_MS: '10', a1: 'with = and spaces' };
		const result = assertEnv(env);
		expect(result).toEqual(env);
		expect(result).not.toBe(env);
	});

	it.each([
		['starts with a digit', '1ABC'],
		['a dash', 'MY-VAR'],
		['an equals sign', 'A=B'],
		['a space', 'A B'],
		['empty', ''],
	])('rejects a name that has %s', (_name, key) => {
		expect(() => assertEnv({ [key]: 'x' })).toThrow(ValidationError);
		expect(() => assertEnv({ [key]: 'x' })).toThrow('invalid environment variable name');
	});

	it('rejects a NUL byte in a value', () => {
		expect(() => assertEnv({ OK: 'fine', BAD: 'a\0b' })).toThrow(
			'environment variable BAD contains a NUL byte',
		);
	});
});

describe('sanitizeInput', () => {
	it.each([
		['plain text', 'hello world', 'hello world'],
		['keeps newlines and tabs', 'a\n\tb\n', 'a\n\tb\n'],
		['CRLF becomes LF', 'a\r\nb\r\n', 'a\nb\n'],
		['a lone CR becomes LF', 'a\rb', 'a\nb'],
		['strips ESC, so a paste cannot be ended early', 'x\x1b[201~rm -rf /\x1b[200~y', 'x[201~rm -rf /[200~y'],
		['strips C0 controls and DEL', 'a\x00b\x03c\x07d\x08e\x0bf\x0cg\x1fh\x7fi', 'abcdefghi'],
		['keeps unicode', 'héllo ✳ 日本', 'héllo ✳ 日本'],
		['empty', '', ''],
	])('%s', (_name, input, expected) => {
		expect(sanitizeInput(input)).toBe(expected);
	});

	it('accepts exactly the byte limit', () => {
		expect(sanitizeInput('a'.repeat(maxInputBytes))).toHaveLength(maxInputBytes);
	});

	it('rejects input over 1 MB with a message that gives the size and the limit', () => {
		expect(maxInputBytes).toBe(1024 * 1024);
		expect(() => sanitizeInput('a'.repeat(maxInputBytes + 1))).toThrow(ValidationError);
		expect(() => sanitizeInput('a'.repeat(maxInputBytes + 1))).toThrow(
			'input is 1048577 bytes; the limit is 1048576',
		);
	});

	it('counts bytes, not characters', () => {
		// 'é' is two bytes in UTF-8: half a megabyte of them plus one is over the limit.
		const text = 'é'.repeat(maxInputBytes / 2 + 1);
		expect(text.length).toBeLessThan(maxInputBytes);
		expect(() => sanitizeInput(text)).toThrow(`input is ${maxInputBytes + 2} bytes`);
	});
});
