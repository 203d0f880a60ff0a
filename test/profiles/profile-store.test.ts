import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProfileStore } from '../../source/profiles/profile-store.js';

describe('profile store', () => {
	let home: string;
	let storeDir: string;
	beforeEach(() => {
		home = mkdtempSync(join(tmpdir(), 'cao-profiles-'));
		storeDir = join(home, 'agent-store');
	});
	afterEach(() => {
		rmSync(home, { recursive: true, force: true });
	});

	it('ships developer, reviewer and code_supervisor, all valid, the supervisor taught its tools', async () => {
		const store = createProfileStore({ storeDir });
		const list = await store.list();
		expect(list.map((entry) => entry.name)).toEqual(['code_supervisor', 'developer', 'reviewer']);
		for (const entry of list) expect(entry).toMatchObject({ source: 'built-in' });
		const supervisor = await store.get('code_supervisor');
		for (const tool of ['handoff', 'assign', 'send_message']) expect(supervisor.systemPrompt).toContain(tool);
	});

	it('installs a file into the store, where it hides the built-in one of the same name', async () => {
		const store = createProfileStore({ storeDir });
		const source = join(home, 'mine.md');
		writeFileSync(source, '---\nname: developer\ndescription: Mine\nmodel: opus\n---\nMy prompt.\n');
		expect(await store.install(source)).toMatchObject({ name: 'developer', model: 'opus' });
		expect(readFileSync(join(storeDir, 'developer.md'), 'utf8')).toContain('My prompt.');
		expect(await store.get('developer')).toMatchObject({ description: 'Mine', systemPrompt: 'My prompt.' });
		expect((await store.list()).find((entry) => entry.name === 'developer')).toMatchObject({
			source: 'store',
		});
	});

	it('refuses a malformed file to install with one line, and installs nothing', async () => {
		const store = createProfileStore({ storeDir });
		const source = join(home, 'broken.md');
		writeFileSync(source, '---\nname: broken\nallowedTools: Bash\n---\n');
		await expect(store.install(source)).rejects.toThrow(/^profile broken\.md: field 'allowedTools': /);
		expect(existsSync(join(storeDir, 'broken.md'))).toBe(false);
		await expect(store.install(join(home, 'missing.md'))).rejects.toThrow(
			/^cannot read .*missing\.md: ENOENT$/,
		);
	});

	it('names a broken file of the store in the list and in get, and keeps listing the others', async () => {
		mkdirSync(storeDir);
		writeFileSync(join(storeDir, 'odd.md'), '---\nname: other\n---\n');
		const store = createProfileStore({ storeDir });
		expect((await store.list()).find((entry) => entry.name === 'odd')).toMatchObject({
			error: "profile odd.md: field 'name': 'other' differs from the file name",
		});
		expect((await store.list()).length).toBe(4);
		await expect(store.get('odd')).rejects.toThrow("profile odd.md: field 'name'");
	});

	it('refuses names that are paths, and says which profile is missing', async () => {
		const store = createProfileStore({ storeDir });
		await expect(store.get('../secrets')).rejects.toThrow(/invalid profile name '\.\.\/secrets'/);
		await expect(store.get('nobody')).rejects.toThrow("no profile 'nobody' (see cao-tui profile list)");
	});
});
