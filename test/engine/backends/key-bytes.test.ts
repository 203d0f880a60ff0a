import { describe, expect, it } from 'vitest';
import { keyBytes } from '../../../source/engine/backends/key-bytes.js';

describe('keyBytes', () => {
	it('turns tmux key names into what a terminal sends', () => {
		expect(['Enter', 'Escape', 'Tab', 'BSpace', 'Up', 'F5', 'y', '1'].map(keyBytes)).toEqual([
			'\r',
			'\x1b',
			'\t',
			'\x7f',
			'\x1b[A',
			'\x1b[15~',
			'y',
			'1',
		]);
		expect(keyBytes('C-c')).toBe('\x03');
		expect(keyBytes('M-x')).toBe('\x1bx');
		expect(keyBytes('M-Enter')).toBe('\x1b\r');
		expect(keyBytes('S-a')).toBe('A');
	});

	it('refuses what it cannot send, in one line', () => {
		expect(() => keyBytes('Hyper')).toThrow("unknown key name 'Hyper'");
		expect(() => keyBytes('C-Up')).toThrow("key 'C-Up' has no control character");
		expect(() => keyBytes('a;b')).toThrow("invalid key name 'a;b'");
	});
});
