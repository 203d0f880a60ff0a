import { describe, expect, it } from 'vitest';
import {
	type Effect,
	handleKey,
	initialUi,
	type KeyContext,
	keyEvents,
	type UiState,
} from '../../source/ui/controller.js';
import { actionFor, footerFor, keymap } from '../../source/ui/keymap.js';
import type { FlowView, TerminalView } from '../../source/ui/model.js';

const terminal = (id: string, status: TerminalView['status'], name: string): TerminalView => ({
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

const flow = (name: string, enabled: boolean): FlowView => ({
	name,
	enabled,
	nextRun: enabled ? 1 : null,
	lastRun: null,
	lastResult: null,
	lastDetail: null,
});

const context: KeyContext = {
	terminals: [
		terminal('aa11', 'idle', 'supervisor'),
		terminal('bb22', 'processing', 'developer'),
		terminal('cc33', 'waiting_user_answer', 'reviewer'),
	],
	flows: [],
	columns: 2,
	choices: { profiles: ['developer'], providers: ['claude_code', 'fake'], workingDirectory: '/work' },
};

/** Types `keys` (one string of characters, or key names in an array) and collects what they do. */
const press = (keys: string | string[], from: UiState = initialUi(), ctx: KeyContext = context) => {
	let state = from;
	const effects: Effect[] = [];
	const events = typeof keys === 'string' ? keyEvents(keys, {}) : keys.map((name) => ({ name, text: '' }));
	for (const event of events) {
		const result = handleKey(state, event, ctx);
		state = result.state;
		effects.push(...result.effects);
	}
	return { state, effects };
};

describe('keymap', () => {
	it('gives every key of a view one action', () => {
		for (const bindings of Object.values(keymap)) {
			const keys = bindings.flatMap((binding) => binding.keys);
			expect(new Set(keys).size).toBe(keys.length);
		}
		expect(actionFor('grid', 'j')).toBe('down');
		expect(actionFor('grid', 'down')).toBe('down');
		expect(actionFor('form', 'j')).toBeUndefined();
	});

	it('builds the footer from the keymap, without the terminal keys when there is none', () => {
		expect(footerFor('grid', { hasTerminal: true })).toEqual(
			expect.arrayContaining(['enter attach', 'x kill', '? help', 'q quit']),
		);
		expect(footerFor('grid', { hasTerminal: false })).not.toContain('x kill');
		expect(footerFor('confirm', { hasTerminal: true })).toEqual(['y yes', 'n no']);
	});

	it('splits a chunk of typed characters into keys', () => {
		expect(keyEvents('/rev', {}).map((event) => event.name)).toEqual(['/', 'r', 'e', 'v']);
		expect(keyEvents('', { upArrow: true })).toEqual([{ name: 'up', text: '' }]);
		expect(keyEvents(' ', {})).toEqual([{ name: 'space', text: ' ' }]);
		// Enter or Tab in the same chunk as the text before them still act.
		expect(keyEvents('ok\r', {}).map((event) => event.name)).toEqual(['o', 'k', 'enter']);
		expect(keyEvents('a\tb\x7f', {}).map((event) => event.name)).toEqual(['a', 'tab', 'b', 'backspace']);
	});
});

describe('the panel under the keys', () => {
	it('moves through the grid with arrows and hjkl', () => {
		expect(press('l').state.selectedId).toBe('bb22');
		expect(press('j').state.selectedId).toBe('cc33');
		expect(press(['down', 'up']).state.selectedId).toBe('aa11');
	});

	it('filters as the filter is typed; esc clears it, enter keeps it', () => {
		const typed = press('/rev');
		expect(typed.state).toMatchObject({ view: 'filter', filter: 'rev' });
		expect(press(['backspace', 'enter'], typed.state).state).toMatchObject({ view: 'grid', filter: 're' });
		expect(press(['escape'], typed.state).state).toMatchObject({ view: 'grid', filter: '' });
		// Moves go through the filtered terminals only.
		const kept = press(['enter'], press('/e').state).state;
		expect(press('j', kept).state.selectedId).toBe('cc33');
	});

	it('jumps to the next agent waiting for an answer, or says there is none', () => {
		expect(press('w').state.selectedId).toBe('cc33');
		const calm = { ...context, terminals: context.terminals.slice(0, 2) };
		expect(press('w', initialUi(), calm).state.notice).toBe('no agent waits for an answer');
	});

	it('creates a terminal from the form: profile and provider chosen with arrows, folder typed', () => {
		const form = press('n').state;
		expect(form.view).toBe('form');
		const { state, effects } = press(['right', 'tab', 'right', 'right', 'tab', 'backspace', 'enter'], form);
		expect(effects).toEqual([
			{ type: 'create', profile: 'developer', provider: 'fake', workingDirectory: '/wor' },
		]);
		expect(state.view).toBe('grid');
		// Neither a profile nor a provider: the form says so and stays.
		const empty = press(['enter'], form);
		expect(empty.effects).toEqual([]);
		expect(empty.state.form?.error).toBe('choose a profile or a provider');
	});

	it('sends input and messages from their forms; text keys type, they do not act', () => {
		const input = press(['enter'], press('ijk x', press('j').state).state);
		expect(input.effects).toEqual([{ type: 'input', terminalId: 'cc33', name: 'reviewer', text: 'jk x' }]);
		const message = press(['up', 'left', 'enter'], press('mhello', press('l').state).state);
		expect(message.effects).toEqual([{ type: 'message', receiverId: 'aa11', text: 'hello' }]);
		expect(press(['escape'], press('ihi').state).effects).toEqual([]);
	});

	it('kills only after yes', () => {
		const asked = press('x');
		expect(asked.state.view).toBe('confirm');
		expect(asked.effects).toEqual([]);
		expect(press('n', asked.state).effects).toEqual([]);
		expect(press('y', asked.state).effects).toEqual([
			{ type: 'kill', terminalId: 'aa11', name: 'supervisor' },
		]);
	});

	it('quits at once, or asks first when flows are scheduled', () => {
		expect(press('q').effects).toEqual([{ type: 'quit' }]);
		const scheduled = { ...context, flows: [flow('nightly', true)] };
		const asked = press('q', initialUi(), scheduled);
		expect(asked.effects).toEqual([]);
		expect(asked.state.confirm?.question).toMatch(/Flows are scheduled/);
		expect(press('y', asked.state, scheduled).effects).toEqual([{ type: 'quit' }]);
	});

	it('runs, enables and disables flows from the flows view', () => {
		const flows = { ...context, flows: [flow('nightly', true), flow('weekly', false)] };
		const open = press('f', initialUi(), flows).state;
		expect(open.view).toBe('flows');
		expect(press('r', open, flows).effects).toEqual([{ type: 'run-flow', name: 'nightly' }]);
		expect(press('j ', open, flows).effects).toEqual([{ type: 'set-flow', name: 'weekly', enabled: true }]);
		expect(press(['escape'], open, flows).state.view).toBe('grid');
	});

	it('attaches to the selected terminal, explains its status and opens help', () => {
		expect(press(['enter']).effects).toEqual([{ type: 'attach', terminalId: 'aa11', name: 'supervisor' }]);
		expect(press('e').state.view).toBe('explain');
		expect(press('?').state.view).toBe('help');
		expect(press(['escape'], press('?').state).state.view).toBe('grid');
	});

	it('does nothing that needs a terminal when there is none', () => {
		const none = { ...context, terminals: [] };
		expect(press(['enter'], initialUi(), none).effects).toEqual([]);
		expect(press('xime', initialUi(), none).state.view).toBe('grid');
	});
});
