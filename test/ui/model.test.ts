import { describe, expect, it } from 'vitest';
import {
	columnsFor,
	countByStatus,
	filterTerminals,
	fit,
	formatDuration,
	formatUntil,
	moveSelection,
	nextFlowRun,
	nextWaiting,
	scrollTop,
	type TerminalView,
} from '../../source/ui/model.js';

const terminal = (id: string, status: TerminalView['status'], name = 'developer'): TerminalView => ({
	id,
	name,
	profile: name,
	provider: 'fake',
	session: 's',
	window: 'w',
	workingDirectory: '/',
	status,
	since: 0,
	rule: '',
	line: '',
	pending: 0,
	lastLine: '',
	history: [],
});

describe('panel model', () => {
	it('formats how long a status has lasted and when a flow runs next', () => {
		expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 90_000_000].map(formatDuration)).toEqual([
			'0s',
			'59s',
			'1m 0s',
			'59m 59s',
			'1h 0m',
			'1d 1h',
		]);
		expect(formatUntil(null, 0)).toBe('-');
		expect(formatUntil(5, 10)).toBe('now');
		expect(formatUntil(70_000, 0)).toBe('in 1m 10s');
	});

	it('filters by name, id, provider or status, in any case', () => {
		const all = [terminal('aa11', 'idle', 'developer'), terminal('bb22', 'waiting_user_answer', 'reviewer')];
		expect(filterTerminals(all, 'REV').map((t) => t.id)).toEqual(['bb22']);
		expect(filterTerminals(all, 'waiting').map((t) => t.id)).toEqual(['bb22']);
		expect(filterTerminals(all, 'aa1').map((t) => t.id)).toEqual(['aa11']);
		expect(filterTerminals(all, '  ').map((t) => t.id)).toEqual(['aa11', 'bb22']);
		expect(filterTerminals(all, 'nothing')).toEqual([]);
	});

	it('counts by status, the ones that need a human first', () => {
		expect(
			countByStatus([terminal('a', 'idle'), terminal('b', 'waiting_user_answer'), terminal('c', 'idle')]),
		).toEqual([
			['waiting_user_answer', 1],
			['idle', 2],
		]);
	});

	it('finds the next agent waiting for an answer, wrapping, or stays', () => {
		const all = [
			terminal('a', 'waiting_user_answer'),
			terminal('b', 'idle'),
			terminal('c', 'waiting_user_answer'),
		];
		expect(nextWaiting(all, 0)).toBe(2);
		expect(nextWaiting(all, 2)).toBe(0);
		expect(nextWaiting([terminal('a', 'idle'), terminal('b', 'idle')], 1)).toBe(1);
	});

	it('lays cards out by width and becomes a list when narrow', () => {
		expect(columnsFor(60)).toBe(0);
		expect(columnsFor(80)).toBe(2);
		expect(columnsFor(200)).toBe(5);
	});

	it('moves the selection in a grid and in a list', () => {
		// 3 across, 7 cards: rows [0 1 2] [3 4 5] [6]
		expect(moveSelection(1, 'down', 3, 7)).toBe(4);
		expect(moveSelection(4, 'down', 3, 7)).toBe(6);
		expect(moveSelection(6, 'down', 3, 7)).toBe(6);
		expect(moveSelection(3, 'left', 3, 7)).toBe(3);
		expect(moveSelection(2, 'right', 3, 7)).toBe(2);
		expect(moveSelection(1, 'up', 3, 7)).toBe(1);
		expect(moveSelection(1, 'right', 0, 7)).toBe(1);
		expect(moveSelection(1, 'down', 0, 7)).toBe(2);
		expect(moveSelection(0, 'down', 3, 0)).toBe(0);
	});

	it('scrolls just enough to show the selected row', () => {
		expect(scrollTop(0, 0, 2)).toBe(0);
		expect(scrollTop(3, 0, 2)).toBe(2);
		expect(scrollTop(1, 2, 2)).toBe(1);
	});

	it('picks the soonest enabled flow and cuts lines with an ellipsis', () => {
		const flow = (name: string, enabled: boolean, nextRun: number | null) => ({
			name,
			enabled,
			nextRun,
			lastRun: null,
			lastResult: null,
			lastDetail: null,
		});
		expect(nextFlowRun([flow('a', true, 50), flow('b', false, 10), flow('c', true, 20)])?.name).toBe('c');
		expect(nextFlowRun([flow('a', false, 5)])).toBeUndefined();
		expect(fit('abcdef', 4)).toBe('abc…');
		expect(fit('abc', 4)).toBe('abc');
	});
});
