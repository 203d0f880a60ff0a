#!/usr/bin/env node
import meow from 'meow';
import { resolveBackend } from './config.js';
import { CaoError, oneLine } from './errors.js';
import { assertTerminalId } from './names.js';

const help = `
  Usage
    $ cao-tui [options]                  the panel: a live grid of the agents over the engine
    $ cao-tui --no-ui [options]          the engine headless: events as NDJSON on stdout
    $ cao-tui --demo                     the panel with a fake supervisor, two fake workers
                                         and a demo flow (no agent CLI needed)
    $ cao-tui launch --agents PROFILE[,PROFILE…] [--provider P] [--session NAME]
                     [--working-directory DIR] [--env K=V]… [--headless MESSAGE [--wait]]
                                         agent terminals in a running engine (one session);
                                         --headless sends MESSAGE to the first, --wait prints
                                         its reply
    $ cao-tui send TERMINAL TEXT         input to an agent, then Enter
    $ cao-tui message TERMINAL TEXT      a message, delivered when the agent is ready for it
    $ cao-tui status [TERMINAL] [--json] every terminal and its status; with TERMINAL, why it
                                         has it (the detection rule and the screen line)
    $ cao-tui kill TERMINAL              deletes one terminal (its agent and window end)
    $ cao-tui shutdown --session NAME | --all
                                         deletes terminals (their tmux windows close)
    $ cao-tui attach TERMINAL            the terminal's tmux window, here
    $ cao-tui output TERMINAL [--last]   a terminal's scrollback, or its agent's last reply
    $ cao-tui flow add FILE | list [--json] | show NAME | enable NAME | disable NAME
                   | remove NAME | run NAME
                                         scheduled agent runs (run needs a running engine)
    $ cao-tui mcp-server                 the MCP server (stdio) agents start: handoff, assign,
                                         send_message (needs CAO_TERMINAL_ID)
    $ cao-tui profile list [--json]      agent profiles: yours ($CAO_HOME/agent-store), then
                                         the built-in developer, reviewer, code_supervisor
    $ cao-tui profile show NAME [--json] a profile's file
    $ cao-tui profile install FILE       checks a profile and copies it into your store
    $ cao-tui detect --provider P [--profile NAME] [--after-input] FILE|-
                                         the status a provider reads from a screen or raw log:
                                         {"status":…,"rule":…,"line":…}
    $ cao-tui extract --provider P FILE|-
                                         the last reply a provider reads from a screen
    $ cao-tui replay --provider P LOG [--speed X] [--profile NAME] [--json]
                                         the status timeline of a terminal's log
                                         ($CAO_HOME/logs/terminal/ID.log) through the same status
                                         logic as the engine

  The panel
    Header (backend, counts by status, next flow run), a card per terminal (name, provider,
    status badge and how long, pending messages, last screen line), the selected terminal's
    screen, status changes with their evidence and inbox, and the keys that apply in the footer.
    Keys: arrows or h j k l move · enter attach (detach to come back) · n new terminal
    i input · m message · f flows (run now, enable/disable) · x kill · w next waiting agent
    / filter · e why this status · ? help · q quit (asks first when flows are scheduled).
    Quitting stops the engine cleanly; the agents keep running in tmux.

  Headless mode (--no-ui)
    Starts the engine and prints every event (not raw output) as one JSON object per line:
      {"topic":"terminal.ab12cd34.status","status":"idle","previous":"unknown","rule":…,"line":…}
    Topics: engine.started, engine.stopped, engine.warning, engine.pruned,
            terminal.ID.created, terminal.ID.input, terminal.ID.status,
            terminal.ID.tools (cao's MCP tools reached the agent), terminal.ID.exited
    SIGINT or SIGTERM stops reading; the agents keep running in tmux.

  Options
    --no-ui                     Run headless (no panel)
    --demo                      Start the demo agents and flow (with the panel or --no-ui)
    --backend auto|tmux|pty     Where terminals live: tmux (they outlive the engine, can be
                                attached from anywhere) or node-pty (inside the engine, they end
                                with it); auto: tmux when it is on PATH (default; CAO_BACKEND)
    --listen [HOST:]PORT        Also serve the control API on TCP (default host 127.0.0.1);
                                every request needs Authorization: Bearer $CAO_API_TOKEN
                                (CAO_API_TOKEN: at least 32 characters). No TCP without it
    --launch PROVIDER[:PROFILE] Create a terminal at start; repeatable (providers: shell, fake)
    --session NAME              tmux session for launched terminals (default: one per terminal)
    --working-directory DIR     Where launched agents start (default: here)
    --last                      With output: only the agent's last reply
    --provider P                With detect/extract: claude_code, codex, gemini_cli, kiro_cli,
                                q_cli, kimi_cli, copilot_cli, opencode_cli, shell, fake
    --profile NAME              With detect: the profile the agent was launched with
    --after-input               With detect: as right after input was sent
    --speed X                   With replay: X times faster (default 1; silences longer than
                                the status logic's windows are shortened anyway)
    --json                      With replay: one JSON object per step; with profile, status,
                                launch: JSON
    --agents A[,B]              With launch: the profiles to start
    --env K=V                   With launch: environment for every terminal; repeatable
    --headless MESSAGE          With launch: send MESSAGE to the first agent
    --wait                      With launch --headless: wait and print the agent's reply
    --all                       With shutdown: every session
    --help, --version

  Environment
    CAO_HOME          State folder: database, logs, FIFOs (default ~/.cao)
    CAO_TMUX_SOCKET   Use a private tmux server (tmux -L NAME); default: your tmux server
    CAO_BACKEND       auto, tmux or pty, as --backend
    CAO_API_TOKEN     The bearer token --listen requires (at least 32 characters)
    CAO_RETENTION_DAYS  Days ended terminals' rows, messages and logs are kept (default 14;
                      0 keeps them); older ones are removed when the engine starts
    CAO_DEBUG=1       Print stack traces of internal errors

  Examples
    $ cao-tui --no-ui --launch fake --launch shell
    $ cao-tui output ab12cd34 --last
`;

const cli = meow(help, {
	importMeta: import.meta,
	// A mistyped flag (`--lauch`) must not start an engine that silently ignores it.
	allowUnknownFlags: false,
	flags: {
		ui: { type: 'boolean', default: true },
		demo: { type: 'boolean', default: false },
		backend: { type: 'string' },
		listen: { type: 'string' },
		launch: { type: 'string', isMultiple: true, default: [] },
		session: { type: 'string' },
		workingDirectory: { type: 'string' },
		last: { type: 'boolean', default: false },
		provider: { type: 'string' },
		profile: { type: 'string' },
		afterInput: { type: 'boolean', default: false },
		speed: { type: 'number', default: 1 },
		json: { type: 'boolean', default: false },
		agents: { type: 'string' },
		env: { type: 'string', isMultiple: true, default: [] },
		headless: { type: 'string' },
		wait: { type: 'boolean', default: false },
		all: { type: 'boolean', default: false },
	},
});

const write = (text: string) => {
	process.stdout.write(text);
};

const run = async (): Promise<void> => {
	const [command, ...rest] = cli.input;
	// Whoever reads a command's output went away (`| head`): nobody is left to tell anything. (The
	// engine has a handler of its own, which stops it cleanly first.)
	if (command !== undefined)
		process.stdout.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code === 'EPIPE') process.exit(0);
		});
	switch (command) {
		case undefined:
			if (cli.flags.ui)
				return (await import('./ui/panel.js')).runPanel({
					backend: resolveBackend(cli.flags.backend),
					demo: cli.flags.demo,
					launch: cli.flags.launch,
					session: cli.flags.session,
					workingDirectory: cli.flags.workingDirectory,
					listen: cli.flags.listen,
				});
			return (await import('./main.js')).runHeadless({
				backend: resolveBackend(cli.flags.backend),
				demo: cli.flags.demo,
				launch: cli.flags.launch,
				session: cli.flags.session,
				workingDirectory: cli.flags.workingDirectory,
				listen: cli.flags.listen,
			});
		case 'output': {
			const [terminalId] = rest;
			if (!terminalId) throw new CaoError('output needs a terminal id: cao-tui output TERMINAL [--last]');
			assertTerminalId(terminalId);
			return (await import('./main.js')).printOutput(terminalId, cli.flags.last);
		}
		case 'launch': {
			const { agents, provider, session, workingDirectory, env, headless, wait, json } = cli.flags;
			if (!agents) throw new CaoError('launch needs --agents PROFILE (see cao-tui profile list)');
			return (await import('./commands/client-commands.js')).launch(
				{ agents, provider, session, workingDirectory, env, headless, wait, json },
				write,
			);
		}
		case 'send':
		case 'message': {
			const [terminalId, ...words] = rest;
			if (!terminalId || words.length === 0)
				throw new CaoError(`${command} needs a terminal and a text: cao-tui ${command} TERMINAL TEXT`);
			assertTerminalId(terminalId);
			const commands = await import('./commands/client-commands.js');
			return commands[command](terminalId, words.join(' '), write);
		}
		case 'status':
			if (rest[0] !== undefined) assertTerminalId(rest[0]);
			return (await import('./commands/client-commands.js')).status(cli.flags.json, write, rest[0]);
		case 'kill': {
			const [terminalId] = rest;
			if (!terminalId) throw new CaoError('kill needs a terminal id: cao-tui kill TERMINAL');
			assertTerminalId(terminalId);
			return (await import('./commands/client-commands.js')).kill(terminalId, write);
		}
		case 'shutdown':
			return (await import('./commands/client-commands.js')).shutdown(
				{ session: cli.flags.session, all: cli.flags.all },
				write,
			);
		case 'attach': {
			const [terminalId] = rest;
			if (!terminalId) throw new CaoError('attach needs a terminal id: cao-tui attach TERMINAL');
			assertTerminalId(terminalId);
			return (await import('./commands/attach.js')).attach(terminalId);
		}
		case 'flow':
			return (await import('./flows/flow-command.js')).runFlowCommand(rest, cli.flags.json, write);
		case 'mcp-server':
			return (await import('./mcp/mcp-server.js')).runMcpServer();
		case 'profile':
			return (await import('./profiles/profile-command.js')).runProfileCommand(rest, cli.flags.json, write);
		case 'detect':
		case 'extract': {
			const [file] = rest;
			const { provider } = cli.flags;
			if (!provider || !file) {
				throw new CaoError(`${command} needs a provider and a file: cao-tui ${command} --provider P FILE|-`);
			}
			const inspect = await import('./headless/inspect.js');
			const text =
				command === 'detect'
					? await inspect.detectFile({
							provider,
							file,
							profile: cli.flags.profile ?? null,
							afterInput: cli.flags.afterInput,
						})
					: await inspect.extractFile({ provider, file });
			process.stdout.write(`${text}\n`);
			return;
		}
		case 'replay': {
			const [file] = rest;
			const { provider } = cli.flags;
			if (!provider || !file)
				throw new CaoError('replay needs a provider and a log: cao-tui replay --provider P LOG');
			const { replayLog } = await import('./headless/replay.js');
			return replayLog({
				provider,
				file,
				profile: cli.flags.profile ?? null,
				speed: cli.flags.speed,
				json: cli.flags.json,
				write: (text) => process.stdout.write(text),
			});
		}
		default:
			throw new CaoError(`unknown command '${command}' (see cao-tui --help)`);
	}
};

run().catch((error: unknown) => {
	if (error instanceof CaoError) {
		process.stderr.write(`cao-tui: ${oneLine(error)}\n`);
	} else if (process.env.CAO_DEBUG === '1') {
		process.stderr.write(
			`cao-tui: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
		);
	} else {
		process.stderr.write(`cao-tui: internal error: ${oneLine(error)} (CAO_DEBUG=1 shows the stack)\n`);
	}
	process.exit(1);
});
