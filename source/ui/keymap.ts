/**
 * Every key of the panel, declared once: the input handler resolves keys through it, and the
 * footer and the help screen are generated from it.
 */

/** What the panel shows; each view has its own keys. */
export const views = ['grid', 'help', 'flows', 'form', 'filter', 'confirm', 'explain'] as const;
export type View = (typeof views)[number];

export const actions = [
	'up',
	'down',
	'left',
	'right',
	'attach',
	'new',
	'input',
	'message',
	'flows',
	'kill',
	'next-waiting',
	'filter',
	'explain',
	'help',
	'quit',
	'back',
	'run-flow',
	'toggle-flow',
	'yes',
	'no',
	'submit',
	'next-field',
	'previous-field',
] as const;
export type Action = (typeof actions)[number];

/** A key as the panel names it: a printable character, or one of these. */
export type KeyName =
	| 'up'
	| 'down'
	| 'left'
	| 'right'
	| 'enter'
	| 'escape'
	| 'tab'
	| 'shift-tab'
	| 'backspace'
	| 'ctrl-c'
	| (string & {});

export type Binding = {
	action: Action;
	keys: readonly KeyName[];
	/** How the footer and the help screen write the keys. */
	label: string;
	/** What the key does, for the help screen; the footer uses `short`. */
	help: string;
	short: string;
	/** Listed in the footer (the rest only on the help screen). */
	footer?: boolean;
	/** Needs a selected terminal: left out of the footer when there is none. */
	needsTerminal?: boolean;
};

export const keymap: Readonly<Record<View, readonly Binding[]>> = {
	grid: [
		{ action: 'up', keys: ['up', 'k'], label: '↑ k', help: 'select the terminal above', short: 'move' },
		{ action: 'down', keys: ['down', 'j'], label: '↓ j', help: 'select the terminal below', short: 'move' },
		{
			action: 'left',
			keys: ['left', 'h'],
			label: '← h',
			help: 'select the terminal to the left',
			short: 'move',
		},
		{
			action: 'right',
			keys: ['right', 'l'],
			label: '→ l',
			help: 'select the terminal to the right',
			short: 'move',
		},
		{
			action: 'attach',
			keys: ['enter'],
			label: 'enter',
			help: "attach to the terminal's tmux window (detach to come back)",
			short: 'attach',
			footer: true,
			needsTerminal: true,
		},
		{
			action: 'new',
			keys: ['n'],
			label: 'n',
			help: 'new terminal: profile, provider, folder',
			short: 'new',
			footer: true,
		},
		{
			action: 'input',
			keys: ['i'],
			label: 'i',
			help: 'type input for the selected agent (sent now)',
			short: 'input',
			footer: true,
			needsTerminal: true,
		},
		{
			action: 'message',
			keys: ['m'],
			label: 'm',
			help: 'message another agent (delivered when it is ready)',
			short: 'message',
			footer: true,
			needsTerminal: true,
		},
		{
			action: 'flows',
			keys: ['f'],
			label: 'f',
			help: 'flows: next runs, run now, enable or disable',
			short: 'flows',
			footer: true,
		},
		{
			action: 'kill',
			keys: ['x'],
			label: 'x',
			help: 'kill the selected terminal (asks first)',
			short: 'kill',
			footer: true,
			needsTerminal: true,
		},
		{
			action: 'next-waiting',
			keys: ['w'],
			label: 'w',
			help: 'jump to the next agent waiting for an answer',
			short: 'waiting',
			footer: true,
		},
		{
			action: 'filter',
			keys: ['/'],
			label: '/',
			help: 'filter by name, provider or status',
			short: 'filter',
			footer: true,
		},
		{
			action: 'explain',
			keys: ['e'],
			label: 'e',
			help: 'why the current status: the rule and the line it matched',
			short: 'why',
			footer: true,
			needsTerminal: true,
		},
		{ action: 'help', keys: ['?'], label: '?', help: 'this help', short: 'help', footer: true },
		{
			action: 'quit',
			keys: ['q', 'ctrl-c'],
			label: 'q',
			help: 'quit (the tmux terminals keep running)',
			short: 'quit',
			footer: true,
		},
	],
	help: [
		{
			action: 'back',
			keys: ['escape', '?', 'q', 'enter'],
			label: 'esc',
			help: 'close the help',
			short: 'close',
			footer: true,
		},
	],
	explain: [
		{
			action: 'back',
			keys: ['escape', 'e', 'q', 'enter'],
			label: 'esc',
			help: 'close',
			short: 'close',
			footer: true,
		},
	],
	flows: [
		{ action: 'up', keys: ['up', 'k'], label: '↑ k', help: 'previous flow', short: 'move' },
		{ action: 'down', keys: ['down', 'j'], label: '↓ j', help: 'next flow', short: 'move' },
		{
			action: 'run-flow',
			keys: ['r', 'enter'],
			label: 'r',
			help: 'run the flow now',
			short: 'run now',
			footer: true,
		},
		{
			action: 'toggle-flow',
			keys: ['space', 't'],
			label: 'space',
			help: 'enable or disable the flow',
			short: 'enable/disable',
			footer: true,
		},
		{
			action: 'back',
			keys: ['escape', 'f', 'q'],
			label: 'esc',
			help: 'back to the terminals',
			short: 'back',
			footer: true,
		},
	],
	form: [
		{
			action: 'next-field',
			keys: ['tab', 'down'],
			label: 'tab',
			help: 'next field',
			short: 'next field',
			footer: true,
		},
		{
			action: 'previous-field',
			keys: ['shift-tab', 'up'],
			label: 'shift-tab',
			help: 'previous field',
			short: 'previous',
		},
		{
			action: 'left',
			keys: ['left'],
			label: '← →',
			help: 'change the choice',
			short: 'choose',
			footer: true,
		},
		{ action: 'right', keys: ['right'], label: '→', help: 'change the choice', short: 'choose' },
		{ action: 'submit', keys: ['enter'], label: 'enter', help: 'submit', short: 'submit', footer: true },
		{ action: 'back', keys: ['escape'], label: 'esc', help: 'cancel', short: 'cancel', footer: true },
	],
	filter: [
		{
			action: 'submit',
			keys: ['enter'],
			label: 'enter',
			help: 'keep the filter',
			short: 'keep',
			footer: true,
		},
		{
			action: 'back',
			keys: ['escape'],
			label: 'esc',
			help: 'clear the filter',
			short: 'clear',
			footer: true,
		},
	],
	confirm: [
		{ action: 'yes', keys: ['y'], label: 'y', help: 'yes', short: 'yes', footer: true },
		{ action: 'no', keys: ['n', 'escape', 'q'], label: 'n', help: 'no', short: 'no', footer: true },
	],
};

/** Ink's key flags, as far as the keymap needs them. */
export type InkKey = {
	upArrow?: boolean;
	downArrow?: boolean;
	leftArrow?: boolean;
	rightArrow?: boolean;
	return?: boolean;
	escape?: boolean;
	tab?: boolean;
	shift?: boolean;
	backspace?: boolean;
	delete?: boolean;
	ctrl?: boolean;
};

/** Ink's (input, key) as one name. */
export const keyName = (input: string, key: InkKey): KeyName => {
	if (key.upArrow) return 'up';
	if (key.downArrow) return 'down';
	if (key.leftArrow) return 'left';
	if (key.rightArrow) return 'right';
	if (key.return) return 'enter';
	if (key.escape) return 'escape';
	if (key.tab) return key.shift ? 'shift-tab' : 'tab';
	if (key.backspace || key.delete) return 'backspace';
	if (key.ctrl && input === 'c') return 'ctrl-c';
	if (input === ' ') return 'space';
	return input;
};

/** The action a key has in a view, if any. */
export const actionFor = (view: View, key: KeyName): Action | undefined =>
	keymap[view].find((binding) => binding.keys.includes(key))?.action;

const moveLabels: Partial<Record<View, string>> = { grid: '←↓↑→ hjkl move', flows: '↑↓ move' };

/** The footer of a view: its keys that apply now. */
export const footerFor = (view: View, { hasTerminal }: { hasTerminal: boolean }): string[] => {
	const entries = keymap[view]
		.filter((binding) => binding.footer && (hasTerminal || !binding.needsTerminal))
		.map((binding) => `${binding.label} ${binding.short}`);
	const moves = moveLabels[view];
	return moves ? [moves, ...entries] : entries;
};
