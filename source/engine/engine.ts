import { type BackendKind, type Paths, resolveRetentionDays } from '../config.js';
import { oneLine, ValidationError } from '../errors.js';
import { createFlowService } from '../flows/flow-service.js';
import { createProfileStore, type ProfileStore } from '../profiles/profile-store.js';
import { createTmuxRunner } from './backends/tmux.js';
import { createPtyBackend } from './backends/pty-backend.js';
import { createTmuxBackend } from './backends/tmux-backend.js';
import type { TerminalBackend } from './backends/types.js';
import { createEventBus, type EventBus } from './bus.js';
import { createLogWriter } from './logs/log-writer.js';
import { anyRemoved, describeCounts, pruneOld } from './retention/prune.js';
import { createStatusMonitor } from './status/status-monitor.js';
import { type Db, openDatabase } from './store/database.js';
import { createFlowRepository } from './store/flow-repository.js';
import { createInboxRepository } from './store/inbox-repository.js';
import { createSessionEnvRepository } from './store/session-env-repository.js';
import { createTerminalRepository } from './store/terminal-repository.js';
import { createProviderLookup } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';
import { createInboxService } from './inbox/inbox-service.js';
import { createSessionService } from './terminals/session-service.js';
import { createStatusRecorder } from './terminals/status-recorder.js';
import { type CreateTerminalOptions, createTerminalService } from './terminals/terminal-service.js';

export type EngineOptions = {
	paths: Paths;
	tmuxSocket: string | undefined;
	/** Where the terminals live (default tmux). */
	backend?: BackendKind;
	env?: Readonly<Record<string, string | undefined>>;
	/** Where a warning goes when the bus itself cannot carry it. */
	fallbackWarn?: (message: string) => void;
	/** Agent profiles for flows (default: `$CAO_HOME/agent-store`, then the built-in ones). */
	profiles?: ProfileStore;
	/** Providers beside the built-in ones (a benchmark's peer). */
	extraProviders?: readonly Provider[];
};

/**
 * The composition root of everything that is not a view: one bus, one store, one backend and the
 * services on them. The panel and the headless printer are two views over this.
 */
export const createEngine = (options: EngineOptions) => {
	const { paths } = options;
	const fallbackWarn = options.fallbackWarn ?? ((message) => process.stderr.write(`cao-tui: ${message}\n`));
	const bus: EventBus = createEventBus((error, topic) => {
		const message = `handler for ${topic} failed: ${oneLine(error)}`;
		// A failing warning handler must not loop back into warnings.
		if (topic === 'engine.warning') fallbackWarn(message);
		else warn(message);
	});
	const warn = (message: string) => bus.emit('engine.warning', { message, at: Date.now() });

	// Checked before anything is opened: a bad setting is one line, and nothing is touched.
	const retentionDays = resolveRetentionDays(options.env ?? process.env);
	const db: Db = openDatabase(paths.database);
	const terminals = createTerminalRepository(db);
	const inbox = createInboxRepository(db);
	const sessionEnv = createSessionEnvRepository(db);
	const backend: TerminalBackend =
		options.backend === 'pty'
			? createPtyBackend({ warn })
			: createTmuxBackend({ tmux: createTmuxRunner(options.tmuxSocket), fifoDir: paths.fifos, warn });
	const monitor = createStatusMonitor({ bus });
	const providers = createProviderLookup(options.extraProviders);
	const logWriter = createLogWriter({ bus, directory: paths.logs, warn });
	const statusRecorder = createStatusRecorder({ bus, terminals });
	const terminalService = createTerminalService({
		bus,
		home: paths.home,
		configRoot: paths.terminals,
		backend,
		monitor,
		terminals,
		env: options.env ?? process.env,
		sessionEnv,
		providers,
	});
	const sessions = createSessionService({ backend, terminals, terminalService, sessionEnv });
	const profiles = options.profiles ?? createProfileStore({ storeDir: paths.agentStore });
	/** Creates the terminal, then offers it the messages that came while it started. */
	const create = async (request: CreateTerminalOptions) => {
		const record = await terminalService.create(request);
		void inboxService.offer(record.id);
		return record;
	};
	/**
	 * A terminal by profile name: the provider asked for, else the profile's, else
	 * `defaultProvider` (a supervisor's own, for its workers).
	 */
	const launch = async ({
		profile: name,
		provider,
		defaultProvider,
		...rest
	}: Omit<CreateTerminalOptions, 'provider' | 'profile'> & {
		profile?: string;
		provider?: string;
		defaultProvider?: string;
	}) => {
		const profile = name ? await profiles.get(name) : null;
		const chosen = provider ?? profile?.provider ?? defaultProvider;
		if (!chosen)
			throw new ValidationError(
				profile
					? `profile '${profile.name}' names no provider: give one`
					: 'give a provider or a profile that names one',
			);
		return create({ ...rest, provider: chosen, profile });
	};
	const flowRepository = createFlowRepository(db);
	const flowService = createFlowService({
		bus,
		flows: flowRepository,
		terminals: {
			create: (request) => launch(request),
			statusOf: (id) => terminalService.statusOf(id),
			remove: (id) => terminalService.remove(id),
			sendInput: (id, text) => terminalService.sendInput(id, text),
			lastReply: (id) => terminalService.getOutput(id, 'last'),
		},
	});
	const inboxService = createInboxService({
		bus,
		inbox,
		eager: (options.env ?? process.env).CAO_EAGER_INBOX_DELIVERY === 'true',
		receivers: {
			// Messages wait until the terminal is ready (create() offers them then).
			statusOf: (id) => (terminalService.isStarting(id) ? 'unknown' : terminalService.statusOf(id)),
			acceptsInputWhileProcessing: (id) =>
				providers.get(terminalService.get(id).provider).input.acceptsInputWhileProcessing,
			stage: (id, text) => terminalService.stageInput(id, text),
			submit: (id, from) => terminalService.submitStaged(id, from),
			staged: () => terminalService.stagedInputs(),
			dropStaged: (id) => terminalService.dropStaged(id),
		},
	});

	/** Removes what ended terminals left longer ago than the retention period; never stops the start. */
	const prune = async () => {
		try {
			const { removed, failures } = await pruneOld({ db, paths, retentionDays, now: Date.now() });
			for (const failure of failures) warn(`retention: ${failure}`);
			if (!anyRemoved(removed)) return;
			const age = retentionDays === 0 ? 'no live terminal' : `older than ${retentionDays} days`;
			bus.emit('engine.pruned', {
				retentionDays,
				removed,
				message: `removed ${describeCounts(removed)} (${age})`,
				at: Date.now(),
			});
		} catch (error) {
			warn(`retention: ${oneLine(error)}`);
		}
	};

	let started = false;
	return {
		paths,
		bus,
		backend,
		monitor,
		inbox: inboxService,
		flows: { ...flowService, repository: flowRepository },
		profiles,
		terminals: { ...terminalService, create },
		launch,
		sessions,
		logWriter,
		async start() {
			await backend.start();
			monitor.start();
			statusRecorder.start();
			logWriter.start();
			await terminalService.adoptAll();
			await terminalService.sweepLinks();
			await inboxService.recover();
			// After adoption has judged which terminals survived, and the sweep took their links back.
			await prune();
			inboxService.start();
			await flowService.start();
			started = true;
			bus.emit('engine.started', {
				backend: backend.description,
				home: paths.home,
				pid: process.pid,
				at: Date.now(),
			});
		},
		/** Stops reading and writing; the terminals keep running in tmux. */
		async stop() {
			if (started) {
				started = false;
				flowService.stop();
				await inboxService.stop();
				await terminalService.releaseAll();
				monitor.stop();
				statusRecorder.stop();
				await logWriter.stop();
				bus.emit('engine.stopped', { at: Date.now() });
			}
			if (db.open) db.close();
		},
	};
};

export type Engine = ReturnType<typeof createEngine>;
