import { actionFor, type InkKey, type KeyName, keyName, type View } from './keymap.js';
import { editField, type FormState, formValues } from './form-state.js';
import { filterTerminals, type FlowView, moveSelection, nextWaiting, type TerminalView } from './model.js';

/** What a key asks the outside world to do; the panel runs it and reports in the footer. */
export type Effect =
	| { type: 'attach'; terminalId: string; name: string }
	| { type: 'create'; profile?: string; provider?: string; workingDirectory: string }
	| { type: 'input'; terminalId: string; name: string; text: string }
	| { type: 'message'; receiverId: string; text: string }
	| { type: 'kill'; terminalId: string; name: string }
	| { type: 'run-flow'; name: string }
	| { type: 'set-flow'; name: string; enabled: boolean }
	| { type: 'quit' };

export type UiState = {
	view: View;
	selectedId: string | null;
	filter: string;
	form: FormState | null;
	confirm: { question: string; effect: Effect } | null;
	flowIndex: number;
	notice: string | null;
};

export type PanelChoices = {
	profiles: readonly string[];
	providers: readonly string[];
	workingDirectory: string;
};

export type KeyContext = {
	terminals: readonly TerminalView[];
	flows: readonly FlowView[];
	/** Cards across (0: the list). */
	columns: number;
	/** The agents run inside this process (pty) and end when the panel quits. */
	agentsEndOnQuit?: boolean;
	choices: PanelChoices;
};

export type KeyEvent = { name: KeyName; text: string };

export const initialUi = (selectedId: string | null = null): UiState => ({
	view: 'grid',
	selectedId,
	filter: '',
	form: null,
	confirm: null,
	flowIndex: 0,
	notice: null,
});

/** Control characters inside a chunk, as Ink would have flagged them alone. */
const controlKeys: Readonly<Record<string, InkKey>> = {
	'\r': { return: true },
	'\n': { return: true },
	'\t': { tab: true },
	'\x1b': { escape: true },
	'\x7f': { backspace: true },
	'\b': { backspace: true },
};

/**
 * Ink's (input, key) as key events: a chunk of typed characters (a paste, or keys sent faster than
 * they are read) is one event per character, so "/rev" opens the filter and types "rev".
 */
export const keyEvents = (input: string, key: InkKey): KeyEvent[] => {
	const name = keyName(input, key);
	if (name !== input || Array.from(input).length <= 1) return [{ name, text: input }];
	return Array.from(input, (char) => ({ name: keyName(char, controlKeys[char] ?? {}), text: char }));
};

export const noProfile = '(none)';
export const profileProvider = "(the profile's)";

const newTerminalForm = (choices: PanelChoices): FormState => ({
	kind: 'new',
	title: 'New terminal',
	fields: [
		{
			kind: 'choice',
			name: 'profile',
			label: 'profile',
			choices: [noProfile, ...choices.profiles],
			index: 0,
		},
		{
			kind: 'choice',
			name: 'provider',
			label: 'provider',
			choices: [profileProvider, ...choices.providers],
			index: 0,
		},
		{ kind: 'text', name: 'folder', label: 'folder', value: choices.workingDirectory },
	],
	focus: 0,
	error: null,
});

const inputForm = (terminal: TerminalView): FormState => ({
	kind: 'input',
	title: `Input for ${terminal.name} (${terminal.id}), sent now`,
	fields: [{ kind: 'text', name: 'text', label: 'text', value: '', placeholder: 'what to type, then enter' }],
	focus: 0,
	error: null,
});

const messageForm = (terminals: readonly TerminalView[], selected: TerminalView): FormState => ({
	kind: 'message',
	title: 'Message an agent (delivered when it is ready)',
	fields: [
		{
			kind: 'choice',
			name: 'to',
			label: 'to',
			choices: terminals.map((terminal) => `${terminal.name} ${terminal.id}`),
			index: Math.max(
				terminals.findIndex((terminal) => terminal.id === selected.id),
				0,
			),
		},
		{ kind: 'text', name: 'text', label: 'message', value: '', placeholder: 'the message, then enter' },
	],
	focus: 1,
	error: null,
});

/** The visible terminals and the selected one's index (the first when none is selected). */
export const selectionOf = (state: UiState, terminals: readonly TerminalView[]) => {
	const visible = filterTerminals(terminals, state.filter);
	const found = visible.findIndex((terminal) => terminal.id === state.selectedId);
	const index = found === -1 ? 0 : found;
	return { visible, index, selected: visible[index] as TerminalView | undefined };
};

type Result = { state: UiState; effects: Effect[] };

const closed = (state: UiState): UiState => ({ ...state, view: 'grid', form: null, confirm: null });

const submitForm = (
	state: UiState,
	form: FormState,
	context: KeyContext,
	selected?: TerminalView,
): Result => {
	const values = formValues(form);
	const invalid = (error: string): Result => ({ state: { ...state, form: { ...form, error } }, effects: [] });
	if (form.kind === 'new') {
		const profile = values.profile === noProfile ? undefined : values.profile;
		const provider = values.provider === profileProvider ? undefined : values.provider;
		if (!profile && !provider) return invalid('choose a profile or a provider');
		return {
			state: { ...closed(state), notice: `starting ${profile ?? provider}…` },
			effects: [
				{
					type: 'create',
					...(profile ? { profile } : {}),
					...(provider ? { provider } : {}),
					workingDirectory: values.folder || context.choices.workingDirectory,
				},
			],
		};
	}
	const text = values.text ?? '';
	if (!text.trim()) return invalid('type something first');
	if (form.kind === 'input') {
		if (!selected) return { state: closed(state), effects: [] };
		return {
			state: closed(state),
			effects: [{ type: 'input', terminalId: selected.id, name: selected.name, text }],
		};
	}
	const receiverId = (values.to ?? '').split(' ').at(-1) ?? '';
	if (!receiverId) return invalid('no agent to send it to');
	return { state: closed(state), effects: [{ type: 'message', receiverId, text }] };
};

/** What quitting a pty panel asks: its agents end with it. */
const agentsEndQuestion = (count: number) =>
	count === 1
		? '1 agent runs inside the panel (pty) and ends with it. Quit anyway?'
		: `${count} agents run inside the panel (pty) and end with it. Quit anyway?`;

/** One key: the next state and what to do. Pure; the panel's whole behaviour under the keys. */
export const handleKey = (state: UiState, key: KeyEvent, context: KeyContext): Result => {
	const { visible, index, selected } = selectionOf(state, context.terminals);
	const action = actionFor(state.view, key.name);
	const to = (next: Partial<UiState>, effects: Effect[] = []): Result => ({
		state: { ...state, ...next },
		effects,
	});
	// A printable character (space included) for the text views.
	const typed =
		key.name === 'space' ? ' ' : Array.from(key.text).length === 1 && key.name === key.text ? key.text : '';
	switch (state.view) {
		case 'grid':
			switch (action) {
				case 'up':
				case 'down':
				case 'left':
				case 'right':
					return to({
						selectedId: visible[moveSelection(index, action, context.columns, visible.length)]?.id ?? null,
					});
				case 'attach':
					return selected
						? to({}, [{ type: 'attach', terminalId: selected.id, name: selected.name }])
						: to({});
				case 'new':
					return to({ view: 'form', form: newTerminalForm(context.choices) });
				case 'input':
					return selected ? to({ view: 'form', form: inputForm(selected) }) : to({});
				case 'message':
					return selected ? to({ view: 'form', form: messageForm(context.terminals, selected) }) : to({});
				case 'flows':
					return to({
						view: 'flows',
						flowIndex: Math.min(state.flowIndex, Math.max(context.flows.length - 1, 0)),
					});
				case 'kill':
					return selected
						? to({
								view: 'confirm',
								confirm: {
									question: `Kill ${selected.name} (${selected.id})? Its agent and tmux window end.`,
									effect: { type: 'kill', terminalId: selected.id, name: selected.name },
								},
							})
						: to({});
				case 'next-waiting': {
					const next = nextWaiting(visible, index);
					if (visible[next]?.status !== 'waiting_user_answer')
						return to({ notice: 'no agent waits for an answer' });
					return to({ selectedId: visible[next]?.id ?? null });
				}
				case 'filter':
					return to({ view: 'filter' });
				case 'explain':
					return selected ? to({ view: 'explain' }) : to({});
				case 'help':
					return to({ view: 'help' });
				case 'quit':
					if (context.agentsEndOnQuit && context.terminals.length > 0)
						return to({
							view: 'confirm',
							confirm: { question: agentsEndQuestion(context.terminals.length), effect: { type: 'quit' } },
						});
					if (context.flows.some((flow) => flow.enabled))
						return to({
							view: 'confirm',
							confirm: {
								question: 'Flows are scheduled and will not run while no engine runs. Quit anyway?',
								effect: { type: 'quit' },
							},
						});
					return to({}, [{ type: 'quit' }]);
				default:
					return to({});
			}
		case 'filter':
			if (action === 'submit') return to({ view: 'grid' });
			if (action === 'back') return to({ view: 'grid', filter: '' });
			if (key.name === 'backspace') return to({ filter: Array.from(state.filter).slice(0, -1).join('') });
			return typed ? to({ filter: state.filter + typed }) : to({});
		case 'form': {
			const form = state.form;
			if (!form) return to(closed(state));
			switch (action) {
				case 'back':
					return to(closed(state));
				case 'submit':
					return submitForm(state, form, context, selected);
				case 'next-field':
				case 'previous-field': {
					const by = action === 'next-field' ? 1 : -1;
					return to({
						form: { ...form, focus: (form.focus + by + form.fields.length) % form.fields.length },
					});
				}
				case 'left':
				case 'right':
					return to({ form: editField(form, { type: 'choose', by: action === 'right' ? 1 : -1 }) });
				default:
					if (key.name === 'backspace') return to({ form: editField(form, { type: 'erase' }) });
					return typed ? to({ form: editField(form, { type: 'type', text: typed }) }) : to({});
			}
		}
		case 'confirm':
			if (action === 'yes' && state.confirm) return { state: closed(state), effects: [state.confirm.effect] };
			if (action === 'no') return to(closed(state));
			return to({});
		case 'flows': {
			const flow = context.flows[state.flowIndex];
			switch (action) {
				case 'up':
					return to({ flowIndex: Math.max(state.flowIndex - 1, 0) });
				case 'down':
					return to({ flowIndex: Math.min(state.flowIndex + 1, Math.max(context.flows.length - 1, 0)) });
				case 'run-flow':
					return flow ? to({}, [{ type: 'run-flow', name: flow.name }]) : to({});
				case 'toggle-flow':
					return flow ? to({}, [{ type: 'set-flow', name: flow.name, enabled: !flow.enabled }]) : to({});
				case 'back':
					return to(closed(state));
				default:
					return to({});
			}
		}
		case 'help':
		case 'explain':
			return action === 'back' ? to(closed(state)) : to({});
	}
};
