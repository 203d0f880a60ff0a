import { Box, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { oneLine } from '../../errors.js';
import {
	type Effect,
	handleKey,
	initialUi,
	keyEvents,
	type PanelChoices,
	selectionOf,
	type UiState,
} from '../controller.js';
import { columnsFor, scrollTop } from '../model.js';
import type { PanelStore } from '../panel-store.js';
import { DetailPane } from './detail-pane.js';
import { FlowsView } from './flows-view.js';
import { Footer } from './footer.js';
import { Form } from './form.js';
import { Header } from './header.js';
import { ConfirmBox, ExplainBox, HelpScreen } from './overlays.js';
import { cardHeight, TerminalGrid } from './terminal-grid.js';

/** What the keys do, done by the caller (the engine, tmux): the panel only asks. */
export type PanelActions = {
	createTerminal(request: {
		profile?: string;
		provider?: string;
		workingDirectory: string;
	}): Promise<{ id: string }>;
	sendInput(terminalId: string, text: string): Promise<void>;
	sendMessage(receiverId: string, text: string): Promise<void>;
	kill(terminalId: string): Promise<void>;
	runFlow(name: string): Promise<void>;
	setFlowEnabled(name: string, enabled: boolean): Promise<void>;
	/** Hands the terminal over to tmux until the user detaches. */
	attach(terminalId: string): Promise<void>;
	quit(): void;
};

export type AppProps = {
	store: PanelStore;
	actions: PanelActions;
	choices: PanelChoices;
	/** The agents end when the panel quits (pty backend): quitting asks first. */
	agentsEndOnQuit?: boolean;
	/** The terminal to select first (the one attached to, when the panel comes back). */
	initialSelectedId?: string;
	/** What the footer says first (how an attach went). */
	initialNotice?: string;
};

/** Rows the detail pane needs to be worth showing. */
const detailMinimum = 8;

export const App = ({
	store,
	actions,
	choices,
	agentsEndOnQuit,
	initialSelectedId,
	initialNotice,
}: AppProps) => {
	const model = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const { stdout } = useStdout();
	const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
	useEffect(() => {
		const resized = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
		stdout.on('resize', resized);
		return () => {
			stdout.off('resize', resized);
		};
	}, [stdout]);

	// Keys may come faster than React renders: the newest state is kept in a ref as well.
	const [ui, setUi] = useState<UiState>(() => ({
		...initialUi(initialSelectedId),
		notice: initialNotice ?? null,
	}));
	const current = useRef(ui);
	const update = (next: UiState) => {
		current.current = next;
		setUi(next);
	};
	const [top, setTop] = useState(0);

	const { visible, index, selected } = selectionOf(ui, model.terminals);
	useEffect(() => store.select(selected?.id ?? null), [store, selected?.id]);

	// Layout: header, grid, detail pane (or the open view), footer; one row short of the screen,
	// as Ink redraws the whole screen for every frame that fills it.
	const width = Math.max(size.columns, 20);
	const height = Math.max(size.rows - 1, 4);
	const headerRows = model.warning ? 2 : 1;
	const body = Math.max(height - headerRows - 1, 1);
	const columns = columnsFor(width);
	const rowHeight = columns === 0 ? 1 : cardHeight;
	const totalRows = columns === 0 ? visible.length : Math.ceil(visible.length / columns);
	const room = Math.max(Math.floor((body - detailMinimum) / rowHeight), 1);
	const gridRows = Math.min(Math.max(totalRows, 1), room);
	const selectedRow = columns === 0 ? index : Math.floor(index / columns);
	const gridTop = scrollTop(selectedRow, Math.min(top, Math.max(totalRows - gridRows, 0)), gridRows);
	useEffect(() => setTop(gridTop), [gridTop]);
	const below = body - gridRows * rowHeight;

	const notify = (notice: string) => update({ ...current.current, notice });
	/** Runs an effect, saying in the footer what came of it (errors in one line). */
	const run = (effect: Effect) => {
		const report = (work: Promise<unknown>, done: string) =>
			work.then(
				() => notify(done),
				(error: unknown) => notify(`✗ ${oneLine(error)}`),
			);
		switch (effect.type) {
			case 'attach':
				// The panel is unmounted meanwhile; the next one says how it went.
				return actions.attach(effect.terminalId);
			case 'create': {
				const { type: _type, ...request } = effect;
				return report(
					actions.createTerminal(request).then(({ id }) => update({ ...current.current, selectedId: id })),
					`started ${effect.profile ?? effect.provider}`,
				);
			}
			case 'input':
				return report(actions.sendInput(effect.terminalId, effect.text), `sent to ${effect.name}`);
			case 'message':
				return report(
					actions.sendMessage(effect.receiverId, effect.text),
					`message queued for ${effect.receiverId}`,
				);
			case 'kill':
				return report(actions.kill(effect.terminalId), `killed ${effect.name}`);
			case 'run-flow':
				return report(actions.runFlow(effect.name), `flow ${effect.name} started`);
			case 'set-flow':
				return report(
					actions.setFlowEnabled(effect.name, effect.enabled),
					`flow ${effect.name} ${effect.enabled ? 'enabled' : 'disabled'}`,
				);
			case 'quit':
				return actions.quit();
		}
	};

	useInput((input, key) => {
		if (key.ctrl && input === 'c') return actions.quit();
		const context = { terminals: model.terminals, flows: model.flows, columns, choices, agentsEndOnQuit };
		let state = current.current;
		const effects: Effect[] = [];
		for (const event of keyEvents(input, key)) {
			const result = handleKey(state, event, context);
			state = result.state;
			effects.push(...result.effects);
		}
		update(state);
		for (const effect of effects) void run(effect);
	});

	const overlay = (() => {
		switch (ui.view) {
			case 'help':
				return <HelpScreen width={width} />;
			case 'explain':
				return selected ? <ExplainBox terminal={selected} now={model.now} width={width} /> : null;
			case 'flows':
				return <FlowsView flows={model.flows} selected={ui.flowIndex} now={model.now} width={width} />;
			case 'form':
				return ui.form ? <Form form={ui.form} width={width} /> : null;
			case 'confirm':
				return ui.confirm ? <ConfirmBox question={ui.confirm.question} /> : null;
			default:
				return null;
		}
	})();
	const filterLine =
		ui.view === 'filter' || ui.filter ? `filter: ${ui.filter}${ui.view === 'filter' ? '▏' : ''}` : null;

	return (
		<Box flexDirection="column" width={width} height={height}>
			<Header model={model} width={width} />
			<Box flexDirection="column" height={body}>
				{ui.view === 'help' ? (
					overlay
				) : (
					<>
						<TerminalGrid
							terminals={visible}
							selected={index}
							columns={columns}
							top={gridTop}
							rows={gridRows}
							now={model.now}
							width={width}
							emptyText={
								ui.filter
									? `no terminal matches “${ui.filter}”`
									: 'No terminals yet: press n to start one (or run `cao-tui launch`).'
							}
						/>
						{overlay ?? (
							<DetailPane
								terminal={selected}
								preview={model.preview}
								width={width}
								height={below}
								now={model.now}
							/>
						)}
					</>
				)}
			</Box>
			<Footer
				view={ui.view}
				hasTerminal={selected !== undefined}
				notice={filterLine ?? ui.notice}
				width={width}
			/>
		</Box>
	);
};
