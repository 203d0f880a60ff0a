import { describe, expect, it } from 'vitest';
import { renderScreen, screenSnapshot, turnMark } from '../../source/providers/screen.js';

const at = (row: number, col: number) => `\x1b[${row};${col}H`;
const frame = (body: string) => `\x1b[?2026h${body}\x1b[?2026l`;

describe('renderScreen', () => {
	it('reads plain text as its own lines', () => {
		expect(renderScreen('one\ntwo  \n\nfour').rows).toEqual(['one', 'two', '', 'four']);
	});

	it('places text by absolute and relative cursor moves, and redraws a cell in place', () => {
		expect(renderScreen('\x1b[2;3Hhello\x1b[1;1Htop\x1b[2;3H\x1b[CE').rows).toEqual(['top', '  hEllo']);
		expect(renderScreen('\x1b[2;3Hhello\r\n\x1b[1Abye\x1b[Kx').rows).toEqual(['byex']);
		expect(renderScreen('50%\r99%').rows).toEqual(['99%']);
	});

	it('keeps the last window title', () => {
		const { rows, title } = renderScreen(`\x1b]0;OpenCode\x07${at(2, 3)}world${at(1, 1)}hello${at(2, 1)}>`);
		expect(rows).toEqual(['hello', '> world']);
		expect(title).toBe('OpenCode');
	});

	it('erases to the end of the line and of the screen', () => {
		expect(renderScreen('abcdef\r\x1b[3C\x1b[K').rows).toEqual(['abc']);
		expect(renderScreen('one\r\ntwo\r\nthree\x1b[2A\r\x1b[J').rows).toEqual(['']);
		expect(renderScreen('one\r\ntwo\r\nthree\x1b[1A\r\x1b[Jnew').rows).toEqual(['one', 'new']);
	});

	it('Ink redraws: erased lines go, the newest frame stays under printed history', () => {
		const erase = (count: number) => '\x1b[2K\x1b[1A'.repeat(count) + '\x1b[2K\x1b[G';
		const raw = `history\r\nspinner 1\r\nbox\r\n${erase(2)}spinner 2\r\nbox\r\n${erase(2)}reply\r\nbox\r\n`;
		expect(renderScreen(raw).rows).toEqual(['history', 'reply', 'box', '']);
	});

	it('scrolls only the scroll region on a line feed at its bottom margin', () => {
		const raw = '\x1b[1;1Hhead\x1b[2;1Ha\x1b[3;1Hb\x1b[4;1Hfoot\x1b[2;3r\x1b[3;1H\nc\x1b[r';
		expect(renderScreen(raw).rows).toEqual(['head', 'b', 'c', 'foot']);
	});

	it('counts wide characters as two cells', () => {
		expect(renderScreen('✨ hi\r\x1b[3Cx').rows).toEqual(['✨ xi']);
		expect(renderScreen('🌑\b\b🌒').rows).toEqual(['🌒']);
		expect(renderScreen('日本x').rows).toEqual(['日本x']);
	});

	it('starts the alternate screen empty and returns to the main one', () => {
		expect(renderScreen('main\x1b[?1049halt\x1b[?1049l').rows).toEqual(['main']);
		expect(renderScreen('main\x1b[?1049h\x1b[1;1Halt').rows).toEqual(['alt']);
	});

	it('drops an escape cut off at the end, and the tail of one cut off at the start', () => {
		expect(renderScreen('\x1b]0;GitHub Copilot\x07ok\x1b[3').rows).toEqual(['ok']);
		expect(renderScreen('ok\x1b]0;half a tit').rows).toEqual(['ok']);
		expect(renderScreen(`5;232m${at(1, 1)}done`).rows).toEqual(['done']);
	});

	it('leaves out a half-written synchronized frame', () => {
		const raw = `${frame(`${at(1, 1)}done`)}\x1b[?2026h${at(1, 1)}half`;
		expect(renderScreen(raw).rows).toEqual(['done']);
	});

	it('clears the screen on "ESC[14t" (OpenTUI repaints all of it after a resize)', () => {
		expect(renderScreen(`${at(1, 1)}old wide layout${at(3, 1)}old\x1b[14t${at(2, 1)}new`).rows).toEqual([
			'new',
		]);
	});

	it('moves no cursor for kitty keyboard and modifyOtherKeys sequences ("\\x1b[<u" is not "\\x1b[u")', () => {
		expect(renderScreen('\x1b[sone\r\ntwo\x1b[<u\x1b[>1u\x1b[>4;2m!').rows).toEqual(['one', 'two!']);
	});

	it('fromTop: a move up stops at the first row, as on a terminal', () => {
		expect(renderScreen('one\r\ntwo\x1b[5A\rtop', { fromTop: true }).rows).toEqual(['top', 'two']);
		expect(renderScreen('one\r\ntwo\x1b[5A\rtop').rows[0]).toBe('top');
		expect(renderScreen('one\r\ntwo\x1b[5A\rtop').rows).toHaveLength(6);
	});

	it('starts where it is told: a buffer cut in the middle of a session', () => {
		expect(renderScreen('\x1b[2Aup', { start: { row: 5, col: 1 } }).rows).toEqual([' up']);
	});

	it('after a turn mark, names the rows drawn since it', () => {
		const screen = renderScreen(`${at(2, 1)}old${at(4, 1)}box${turnMark}${at(4, 1)}typed${at(5, 1)}▣`);
		expect(screen.rows).toEqual(['old', '', 'typed', '▣']);
		expect(screen.fresh).toEqual(new Set([2, 3]));
		expect(renderScreen(`${at(1, 1)}old`).fresh).toBeUndefined();
	});
});

describe('screenSnapshot', () => {
	it('draws the screen, its title, cursor and alternate screen, then the unfinished frame verbatim', () => {
		const raw = `shell$\x1b[?1049h\x1b]0;OpenCode\x07${frame(`${at(1, 1)}one${at(3, 2)}two`)}\x1b[?2026h${at(1, 1)}ha`;
		const snapshot = screenSnapshot(raw);
		expect(snapshot).toBe(
			`\x1b[?1049h${at(1, 1)}one${at(3, 1)} two\x1b]0;OpenCode\x07${at(3, 5)}\x1b[?2026h${at(1, 1)}ha`,
		);
		expect(renderScreen(`${snapshot}lf\x1b[?2026l`)).toEqual(renderScreen(`${raw}lf\x1b[?2026l`));
	});

	it('keeps the turn mark: stale rows before it, fresh rows after it; a new turn marks the end', () => {
		const raw = `${at(1, 1)}old${turnMark}${at(2, 1)}new`;
		expect(screenSnapshot(raw)).toBe(`${at(1, 1)}old${turnMark}${at(2, 1)}new${at(2, 4)}`);
		expect(renderScreen(screenSnapshot(raw))).toEqual(renderScreen(raw));
		expect(screenSnapshot(raw, { newTurn: true })).toBe(`${at(1, 1)}old${at(2, 1)}new${turnMark}${at(2, 4)}`);
	});

	it('keeps rows above the start, the scroll region and a cut escape', () => {
		const raw = `top\x1b[3Aabove\x1b[2;4r${at(2, 1)}in region\x1b[`;
		const snapshot = screenSnapshot(raw);
		expect(snapshot).toContain(`${at(1, 1)}\x1b[3A   above`);
		// The cut CUP completed: a line feed at the region's bottom scrolls "in region" away.
		const next = '4;1H\nscrolled';
		expect(renderScreen(raw + next).rows).toEqual(['   above', '', '', 'top', '', '', 'scrolled']);
		expect(renderScreen(snapshot + next)).toEqual(renderScreen(raw + next));
	});
});
