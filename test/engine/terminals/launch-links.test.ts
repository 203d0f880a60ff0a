import {
	existsSync,
	lstatSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readlinkSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	createLaunchLinks,
	linksRecordName,
	type LinkOptions,
	removeLaunchLinks,
	sweepLaunchLinks,
} from '../../../source/engine/terminals/launch-links.js';
import { CaoError } from '../../../source/errors.js';

describe('launch links on real files', () => {
	let base: string;
	let configRoot: string;
	let home: string;
	const live = new Set<string>();

	beforeEach(() => {
		base = mkdtempSync(join(tmpdir(), 'cao-links-'));
		configRoot = join(base, 'cao', 'terminals');
		home = join(base, 'home');
		live.clear();
	});
	afterEach(() => {
		rmSync(base, { recursive: true, force: true });
	});

	const agentFile = 'amazonq/cli-agents/dev.json';
	const target = () => join(home, '.aws/amazonq/cli-agents/dev.json');

	/** A terminal's folder with its agent file written, as writeLaunchFiles leaves it. */
	const terminal = (id: string): LinkOptions => {
		const configDir = join(configRoot, id);
		mkdirSync(join(configDir, dirname(agentFile)), { recursive: true });
		writeFileSync(join(configDir, agentFile), `{"name":"dev-${id}"}\n`);
		live.add(id);
		return {
			configRoot,
			configDir,
			files: [{ path: agentFile, content: '' }],
			links: [{ path: agentFile, target: target() }],
			isLive: (terminalId) => live.has(terminalId),
		};
	};

	const refusal = (options: LinkOptions) => createLaunchLinks(options).catch((error: unknown) => error);

	it('links the target to the file (parents made 0700), and takes it back', async () => {
		const options = terminal('ab12cd34');
		await createLaunchLinks(options);
		expect(lstatSync(target()).isSymbolicLink()).toBe(true);
		expect(readlinkSync(target())).toBe(join(options.configDir, agentFile));
		expect(readFileSync(target(), 'utf8')).toBe('{"name":"dev-ab12cd34"}\n');
		expect(statSync(join(home, '.aws')).mode & 0o777).toBe(0o700);
		expect(existsSync(join(options.configDir, linksRecordName))).toBe(true);

		await removeLaunchLinks(options.configDir);
		expect(existsSync(target())).toBe(false);
		expect(existsSync(join(options.configDir, linksRecordName))).toBe(false);
		// The folders stay (the user's ~/.aws may hold other things); the file stays with its terminal.
		expect(existsSync(dirname(target()))).toBe(true);
		expect(existsSync(join(options.configDir, agentFile))).toBe(true);
		// Removing twice is harmless.
		await removeLaunchLinks(options.configDir);
	});

	it("refuses a user's file at the target with one line naming it, and leaves it alone", async () => {
		mkdirSync(dirname(target()), { recursive: true });
		writeFileSync(target(), 'my own agent\n');
		const options = terminal('ab12cd34');
		const error = await refusal(options);
		expect(error).toBeInstanceOf(CaoError);
		expect((error as Error).message).toBe(
			`'${target()}' already exists and is not cao-tui's: move it away to start this agent`,
		);
		expect(lstatSync(target()).isFile()).toBe(true);
		expect(readFileSync(target(), 'utf8')).toBe('my own agent\n');
		// The failed create's rollback leaves it alone too.
		await removeLaunchLinks(options.configDir);
		expect(readFileSync(target(), 'utf8')).toBe('my own agent\n');
	});

	it("refuses a user's symlink pointing elsewhere, and a live terminal's link", async () => {
		mkdirSync(dirname(target()), { recursive: true });
		const elsewhere = join(base, 'mine.json');
		writeFileSync(elsewhere, '{}\n');
		symlinkSync(elsewhere, target());
		expect(((await refusal(terminal('ab12cd34'))) as Error).message).toMatch(/already exists and is not cao/);
		expect(readlinkSync(target())).toBe(elsewhere);

		rmSync(target());
		const first = terminal('11111111');
		await createLaunchLinks(first);
		const error = await refusal(terminal('22222222'));
		expect((error as Error).message).toBe(`'${target()}' is in use by terminal 11111111`);
		expect(readlinkSync(target())).toBe(join(first.configDir, agentFile));
	});

	it("replaces a dead terminal's link, dangling or not", async () => {
		const dead = terminal('11111111');
		await createLaunchLinks(dead);
		live.delete('11111111');
		const fresh = terminal('22222222');
		await createLaunchLinks(fresh);
		expect(readlinkSync(target())).toBe(join(fresh.configDir, agentFile));
		// The dead terminal's cleanup, coming late, leaves the new link alone.
		await removeLaunchLinks(dead.configDir);
		expect(readlinkSync(target())).toBe(join(fresh.configDir, agentFile));

		// Its folder gone (a removed terminal's): the link dangles, and is replaced all the same.
		live.delete('22222222');
		rmSync(fresh.configDir, { recursive: true });
		expect(existsSync(target())).toBe(false);
		const third = terminal('33333333');
		await createLaunchLinks(third);
		expect(readFileSync(target(), 'utf8')).toBe('{"name":"dev-33333333"}\n');
	});

	it('leaves a link the user has since replaced', async () => {
		const options = terminal('ab12cd34');
		await createLaunchLinks(options);
		rmSync(target());
		writeFileSync(target(), 'mine now\n');
		await removeLaunchLinks(options.configDir);
		expect(readFileSync(target(), 'utf8')).toBe('mine now\n');
	});

	it('sweeps the links of terminals no longer live, and only theirs', async () => {
		const gone = terminal('11111111');
		await createLaunchLinks(gone);
		const running = terminal('22222222');
		const runningTarget = join(home, 'other/agent.json');
		await createLaunchLinks({ ...running, links: [{ path: agentFile, target: runningTarget }] });
		live.delete('11111111');

		expect(await sweepLaunchLinks(configRoot, (id) => live.has(id))).toEqual([]);
		expect(existsSync(target())).toBe(false);
		expect(readlinkSync(runningTarget)).toBe(join(running.configDir, agentFile));
		// No folder of terminals at all: nothing to sweep.
		expect(await sweepLaunchLinks(join(base, 'nowhere'), () => false)).toEqual([]);
	});

	it('refuses links to anything but a launch file, or to a relative target', async () => {
		const options = terminal('ab12cd34');
		await expect(
			createLaunchLinks({ ...options, links: [{ path: '../../../etc/passwd', target: target() }] }),
		).rejects.toThrow("launch link '../../../etc/passwd' is not one of the launch files");
		await expect(
			createLaunchLinks({ ...options, links: [{ path: agentFile, target: 'dev.json' }] }),
		).rejects.toThrow("launch link target 'dev.json' is not absolute");
		expect(existsSync(target())).toBe(false);
	});

	it('names the target when its folder cannot be made', async () => {
		mkdirSync(join(home, '.aws/amazonq'), { recursive: true });
		writeFileSync(join(home, '.aws/amazonq/cli-agents'), 'a file\n');
		const error = await refusal(terminal('ab12cd34'));
		expect(error).toBeInstanceOf(CaoError);
		const message = (error as Error).message;
		expect(message.startsWith(`cannot link '${target()}': `)).toBe(true);
		expect(message).toContain(join(home, '.aws/amazonq/cli-agents'));
		expect(message).not.toContain('\n');
	});
});
