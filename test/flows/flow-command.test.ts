import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, stopApiServer } from '../../source/api/server.js';
import { ValidationError } from '../../source/errors.js';
import { runFlowCommand } from '../../source/flows/flow-command.js';
import { createProfileStore } from '../../source/profiles/profile-store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { describeEachBackend } from '../helpers/sandbox.js';

/** `cao-tui flow …` in this process, on CAO_HOME `home` (the command reads it from the environment). */
const flowCommand = async (home: string, ...args: string[]) => {
	const saved = process.env.CAO_HOME;
	process.env.CAO_HOME = home;
	let out = '';
	try {
		await runFlowCommand(args, args.includes('--json'), (text) => {
			out += text;
		});
	} finally {
		process.env.CAO_HOME = saved;
	}
	return out;
};
const list = async (home: string) => JSON.parse(await flowCommand(home, 'list', '--json')) as unknown;

const flowText = (fields: string, schedule = '0 9 * * *', prompt = 'Report the day') =>
	`---\nname: daily\nschedule: "${schedule}"\ntimezone: UTC\n${fields}---\n${prompt}\n`;

describe('cao-tui flow add', () => {
	let home: string;
	beforeEach(async () => {
		home = mkdtempSync(join(tmpdir(), 'cao-flow-add-'));
		const profiles = createProfileStore({ storeDir: join(home, 'agent-store') });
		writeFileSync(join(home, 'tester.md'), '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		writeFileSync(join(home, 'bare.md'), '---\nname: bare\n---\nYou have no provider.\n');
		await profiles.install(join(home, 'tester.md'));
		await profiles.install(join(home, 'bare.md'));
	});
	afterEach(() => rmSync(home, { recursive: true, force: true }));

	it('refuses what could not run, in one line naming the file and field, changing nothing', async () => {
		const first = join(home, 'daily.md');
		writeFileSync(first, flowText('agent_profile: tester\n'));
		expect(await flowCommand(home, 'add', first)).toMatch(
			/^added flow daily \(0 9 \* \* \* UTC\), next run \d{4}-\d\d-\d\d 09:00 UTC\n$/,
		);
		const before = await list(home);
		writeFileSync(join(home, 'plain.sh'), '#!/bin/sh\n');
		mkdirSync(join(home, 'a-folder'));
		// Frontmatter fields, the field named, the problem; all of a flow named like the one added.
		const cases: [string, string, string, string?, string?][] = [
			['agent_profile: nobody\n', 'agent_profile', "no profile 'nobody' (see cao-tui profile list)"],
			['agent_profile: tester\nprovider: nope\n', 'provider', "unknown provider 'nope' (known: "],
			['agent_profile: bare\n', 'provider', "profile 'bare' names no provider: give one"],
			['agent_profile: tester\nscript: ./nowhere.sh\n', 'script', `${join(home, 'nowhere.sh')} not found`],
			['agent_profile: tester\nscript: ./plain.sh\n', 'script', 'plain.sh is not executable (chmod +x)'],
			['agent_profile: tester\nscript: plain.sh --quick\n', 'script', 'plain.sh is not on PATH'],
			[
				'agent_profile: tester\nworking_directory: gone\n',
				'working_directory',
				`${join(home, 'gone')} not found`,
			],
			[
				'agent_profile: tester\nworking_directory: plain.sh\n',
				'working_directory',
				'plain.sh is not a folder',
			],
			['agent_profile: tester\n', 'schedule', "'0 9 30 2 *' never comes round (no next run)", '0 9 30 2 *'],
			[
				'agent_profile: tester\n',
				'script',
				'no value for [[who]] in the prompt, and no script gives it',
				undefined,
				'Greet [[who]]',
			],
		];
		for (const [index, [fields, field, problem, schedule, prompt]] of cases.entries()) {
			const file = join(home, `case-${index}.md`);
			writeFileSync(file, flowText(fields, schedule, prompt));
			const error = await flowCommand(home, 'add', file).then(
				() => undefined,
				(caught: unknown) => caught,
			);
			expect(error, fields).toBeInstanceOf(ValidationError);
			const message = (error as Error).message;
			expect(message, fields).toContain(`flow ${file}: field '${field}': `);
			expect(message, fields).toContain(problem);
			expect(message, fields).not.toContain('\n');
		}
		expect(await list(home)).toEqual(before);
	});

	it('refuses a flow file or gate script every user may write, changing nothing', async () => {
		const before = await list(home);
		const script = join(home, 'gate.sh');
		writeFileSync(script, '#!/bin/sh\necho \'{"execute": true}\'\n');
		chmodSync(script, 0o757);
		const withScript = join(home, 'with-script.md');
		writeFileSync(withScript, flowText('agent_profile: tester\nscript: ./gate.sh\n'));
		await expect(flowCommand(home, 'add', withScript)).rejects.toThrow(
			`flow ${withScript}: field 'script': ${script} is writable by every user (mode 0757): run chmod o-w ${script}`,
		);
		chmodSync(script, 0o755);
		chmodSync(withScript, 0o666);
		await expect(flowCommand(home, 'add', withScript)).rejects.toThrow(
			`flow ${withScript}: ${withScript} is writable by every user (mode 0666): run chmod o-w ${withScript}`,
		);
		expect(await list(home)).toEqual(before);
	});

	it('replaces a flow of the same name and says so; a disabled one stays disabled', async () => {
		const first = join(home, 'daily.md');
		writeFileSync(first, flowText('agent_profile: tester\n'));
		await flowCommand(home, 'add', first);
		const second = join(home, 'daily-v2.md');
		writeFileSync(second, flowText('agent_profile: tester\n', '0 10 * * *'));
		expect(await flowCommand(home, 'add', second)).toMatch(
			new RegExp(
				`^replaced flow daily \\(0 10 \\* \\* \\* UTC\\), next run \\d{4}-\\d\\d-\\d\\d 10:00 UTC; it was ${first}\n$`,
			),
		);
		await flowCommand(home, 'disable', 'daily');
		expect(await flowCommand(home, 'add', second)).toBe(
			'replaced flow daily (0 10 * * * UTC), disabled (cao-tui flow enable daily)\n',
		);
		expect(await list(home)).toEqual([
			expect.objectContaining({ name: 'daily', file: second, enabled: false, nextRun: null }),
		]);
	});
});

describeEachBackend('cao-tui flow run', (backend) => {
	let t: TestEngine;
	let server: Server;
	beforeEach(async () => {
		t = await startTestEngine({ backend, env: { FAKE_AGENT_THINK_MS: '300' } });
		server = await startApiServer({
			engine: t.engine,
			home: t.sandbox.home,
			socketPath: t.sandbox.paths.socket,
		});
		writeFileSync(join(t.sandbox.home, 'tester.md'), '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		await t.engine.profiles.install(join(t.sandbox.home, 'tester.md'));
	});
	afterEach(async () => {
		await stopApiServer(server, t.sandbox.paths.socket);
		await t.dispose();
	});

	it('prints the outcome of its own run when two run at once', async () => {
		const file = join(t.sandbox.home, 'daily.md');
		writeFileSync(file, flowText('agent_profile: tester\n'));
		await flowCommand(t.sandbox.home, 'add', file);
		// The engine takes one run of a flow at a time: one of these starts, the other is skipped.
		const outputs = await Promise.all([
			flowCommand(t.sandbox.home, 'run', 'daily'),
			flowCommand(t.sandbox.home, 'run', 'daily'),
		]);
		const skipped = outputs.filter((output) => output.startsWith('skipped'));
		const ran = outputs.filter((output) => !output.startsWith('skipped'));
		expect(skipped).toEqual(['skipped: busy: the previous run is still going\n']);
		expect(ran).toHaveLength(1);
		expect(ran[0]).toMatch(/^started in terminal [0-9a-f]{8}\ncompleted: Echo: Report the day\n$/);
	});
});
