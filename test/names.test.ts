import { describe, expect, it } from 'vitest';
import { ValidationError } from '../source/errors.js';
import { assertName, type NameKind, sessionName } from '../source/names.js';

// Names that must never reach a path, a tmux target or a topic.
const hostile = [
	'',
	'..',
	'.',
	'../x',
	'../../etc/passwd',
	'a/b',
	'/abs',
	'a\\b',
	'a\0b',
	'a b',
	'a\nb',
	'x'.repeat(300),
	'ffff000é',
	'名前',
	'$(touch x)',
	'`id`',
	'a;b',
	'%2e%2e',
];

describe('one validator for every name that comes from outside', () => {
	const kinds: NameKind[] = ['terminal id', 'profile name', 'flow name'];
	it.each(kinds)('refuses hostile %s values in one bounded, printable line', (kind) => {
		for (const value of hostile) {
			let error: unknown;
			try {
				assertName(kind, value);
			} catch (caught) {
				error = caught;
			}
			expect(error, JSON.stringify(value)).toBeInstanceOf(ValidationError);
			const message = (error as Error).message;
			expect(message.startsWith(`invalid ${kind} '`)).toBe(true);
			expect(message).not.toMatch(/[\x00-\x1f]/);
			expect(message.length).toBeLessThan(200);
		}
	});

	it('refuses values that are not strings', () => {
		for (const value of [undefined, null, 12345678, ['ffff0000'], { id: 'ffff0000' }])
			expect(() => assertName('terminal id', value)).toThrow(ValidationError);
	});

	it('takes the names the engine makes and users write', () => {
		expect(assertName('terminal id', 'ab12cd34')).toBe('ab12cd34');
		expect(assertName('profile name', 'code_supervisor')).toBe('code_supervisor');
		expect(assertName('flow name', '-nightly_2')).toBe('-nightly_2');
		expect(sessionName('my-session')).toBe('cao-my-session');
		for (const value of hostile)
			expect(() => sessionName(value), JSON.stringify(value)).toThrow(ValidationError);
	});
});
