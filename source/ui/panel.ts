import { isCiMarker } from '../ci-markers.js';
import { attachWindow } from '../commands/attach.js';
import { CaoError, oneLine } from '../errors.js';
import { type HeadlessOptions, launchAll, parseLaunches, serveEngine } from '../main.js';
import { providerNames } from '../providers/registry.js';
import { panelActions, panelSource } from './engine-bindings.js';
import { speedUpInkOutput } from './ink-output.js';
import { startDemo } from './demo.js';
import { createPanelStore } from './panel-store.js';

export type PanelOptions = HeadlessOptions;

// The alternate screen: the panel leaves the shell's screen as it was when it quits.
const enterAlternateScreen = '\x1b[?1049h\x1b[2J\x1b[H';
const leaveAlternateScreen = '\x1b[?1049l';

/** Ink draws nothing but its last frame where CI is set; the panel is interactive whatever it says. */
const forgetCiMarkers = () => {
	for (const name of Object.keys(process.env)) if (isCiMarker(name)) delete process.env[name];
};

/** `C-]`, `C-q`…: the control character that detaches from a pty terminal. */
export const detachKeyOf = (name: string): string => {
	const key = /^C-(.)$/.exec(name)?.[1]?.toUpperCase() ?? '';
	const code = key.charCodeAt(0);
	if (!(code >= 0x40 && code <= 0x5f))
		throw new CaoError(`CAO_DETACH_KEY must be a control key such as C-] or C-q, not '${name}'`);
	return String.fromCharCode(code - 0x40);
};

/**
 * `cao-tui`: the engine and, over it, the panel. Quitting stops the engine cleanly; the tmux
 * terminals keep running. Attaching unmounts the panel, hands the terminal to tmux, and mounts it
 * again on detach (the engine runs on meanwhile).
 */
export const runPanel = async (options: PanelOptions): Promise<void> => {
	if (!process.stdin.isTTY || !process.stdout.isTTY)
		throw new CaoError('the panel needs a terminal; for scripts run `cao-tui --no-ui`');
	const specs = parseLaunches(options.launch);
	const detachKey = detachKeyOf(process.env.CAO_DETACH_KEY || 'C-]');
	forgetCiMarkers();
	// React's development build times every component with performance marks that pile up: slow
	// redraws and hundreds of MB with 200 cards.
	process.env.NODE_ENV ??= 'production';
	const [{ render }, { createElement }, { App }] = await Promise.all([
		import('ink'),
		import('react'),
		import('./components/app.js'),
		speedUpInkOutput(),
	]);

	let instance: ReturnType<typeof render> | undefined;
	let stopDemo = () => {};
	const unmount = () => {
		instance?.unmount();
		instance = undefined;
	};
	const { engine, stop } = await serveEngine({
		backend: options.backend,
		listen: options.listen,
		beforeStop: () => {
			stopDemo();
			unmount();
			process.stdout.write(leaveAlternateScreen);
		},
	});
	const store = createPanelStore(panelSource(engine));
	const profiles = (await engine.profiles.list()).flatMap((entry) => ('error' in entry ? [] : [entry.name]));

	let selectedId: string | undefined;
	let notice: string | undefined;
	const actions = panelActions(engine, store, {
		// The panel steps aside for tmux; mounted again, it says how that went.
		attach: async (id) => {
			const record = engine.terminals.get(id);
			selectedId = id;
			unmount();
			try {
				if (engine.backend.attach) {
					// The pty is wired to this terminal until the detach key.
					await engine.backend.attach(
						{ terminalId: id, session: record.session, window: record.window },
						{ input: process.stdin, output: process.stdout, detachKey },
					);
				} else await attachWindow(record);
				notice = `back from ${record.profile ?? record.provider} ${id}`;
			} catch (error) {
				notice = `✗ ${oneLine(error)}`;
			} finally {
				mount();
			}
		},
		quit: () => stop(0),
	});

	const mount = () => {
		// Every time: whatever ran while the panel stepped aside (tmux, an agent) may have left it.
		process.stdout.write(enterAlternateScreen);
		instance = render(
			createElement(App, {
				store,
				actions,
				choices: { profiles, providers: providerNames(), workingDirectory: process.cwd() },
				agentsEndOnQuit: engine.backend.kind === 'pty',
				initialSelectedId: selectedId,
				initialNotice: notice,
			}),
			{ exitOnCtrlC: false, maxFps: 15, patchConsole: true },
		);
	};

	mount();
	const warn = (message: string) => engine.bus.emit('engine.warning', { message, at: Date.now() });
	await launchAll(engine, specs, options, warn);
	if (options.demo)
		stopDemo = await startDemo(engine).catch((error: unknown) => {
			warn(`demo: ${oneLine(error)}`);
			return () => {};
		});
};
