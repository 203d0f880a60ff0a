#!/usr/bin/env node
import meow from 'meow';
import { CaoError, oneLine } from './errors.js';

const help = `
  Usage
    $ cao-tui [--no-ui] [options]        the engine (headless with --no-ui)
    $ cao-tui output TERMINAL [--last]   a terminal's scrollback, or its agent's last reply
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

  Headless mode (--no-ui)
    Starts the engine and prints every event (not raw output) as one JSON object per line:
      {"topic":"terminal.ab12cd34.status","status":"idle","previous":"unknown","rule":…,"line":…}
    Topics: engine.started, engine.stopped, engine.warning,
            terminal.ID.created, terminal.ID.status, terminal.ID.exited
    SIGINT or SIGTERM stops reading; the agents keep running in tmux.

  Options
    --no-ui                     Run headless (the panel is not built yet)
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
    --json                      With replay: one JSON object per step; with profile: JSON
    --help, --version

  Environment
    CAO_HOME          State folder: database, logs, FIFOs (default ~/.cao)
    CAO_TMUX_SOCKET   Use a private tmux server (tmux -L NAME); default: your tmux server
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
		launch: { type: 'string', isMultiple: true, default: [] },
		session: { type: 'string' },
		workingDirectory: { type: 'string' },
		last: { type: 'boolean', default: false },
		provider: { type: 'string' },
		profile: { type: 'string' },
		afterInput: { type: 'boolean', default: false },
		speed: { type: 'number', default: 1 },
		json: { type: 'boolean', default: false },
	},
});

const run = async (): Promise<void> => {
	const [command, ...rest] = cli.input;
	switch (command) {
		case undefined:
			if (cli.flags.ui) {
				throw new CaoError('the panel is not built yet; run `cao-tui --no-ui` for the headless engine');
			}
			return (await import('./main.js')).runHeadless({
				launch: cli.flags.launch,
				session: cli.flags.session,
				workingDirectory: cli.flags.workingDirectory,
			});
		case 'output': {
			const [terminalId] = rest;
			if (!terminalId) throw new CaoError('output needs a terminal id: cao-tui output TERMINAL [--last]');
			return (await import('./main.js')).printOutput(terminalId, cli.flags.last);
		}
		case 'profile':
			return (await import('./profiles/profile-command.js')).runProfileCommand(rest, cli.flags.json, (text) =>
				process.stdout.write(text),
			);
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
