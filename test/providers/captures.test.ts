import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getProvider } from '../../source/providers/registry.js';
import type { TerminalStatus } from '../../source/engine/status/statuses.js';

/** One case of a capture manifest (../shared/captures/manifest.json has the same form). */
type CaptureCase = {
	file: string;
	provider: string;
	status?: TerminalStatus;
	notStatus?: TerminalStatus;
	extract?: string[];
	extractAny?: string[];
	extractNot?: string[];
	extractLower?: string[];
	profile?: string;
	/** Our own fixtures only: detect as right after input was sent. */
	afterInput?: boolean;
};

const root = fileURLToPath(new URL('../..', import.meta.url));
const sharedCaptures = join(root, '..', 'shared', 'captures');
const ownCaptures = join(root, 'fixtures', 'captures');

const load = (dir: string) =>
	(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: CaptureCase[] }).cases.map(
		(entry) => ({ ...entry, path: join(dir, entry.file) }),
	);

const ownManifests = readdirSync(ownCaptures, { withFileTypes: true })
	.filter((entry) => entry.isDirectory() && existsSync(join(ownCaptures, entry.name, 'manifest.json')))
	.map((entry) => join(ownCaptures, entry.name));

const check = (entry: CaptureCase & { path: string }) => {
	const provider = getProvider(entry.provider);
	const text = readFileSync(entry.path, 'utf8');
	const detection = provider.detect(text, {
		afterInput: entry.afterInput ?? false,
		profile: entry.profile ?? null,
	});
	if (entry.status)
		expect(detection, `rule ${detection.rule}: ${detection.line}`).toMatchObject({ status: entry.status });
	if (entry.notStatus) expect(detection.status).not.toBe(entry.notStatus);
	const wantsReply = entry.extract ?? entry.extractAny ?? entry.extractNot ?? entry.extractLower;
	if (!wantsReply) return;
	const reply = provider.extractLastReply(text);
	for (const part of entry.extract ?? []) expect(reply).toContain(part);
	if (entry.extractAny)
		expect(
			entry.extractAny.some((part) => reply.includes(part)),
			reply,
		).toBe(true);
	for (const part of entry.extractNot ?? []) expect(reply).not.toContain(part);
	for (const part of entry.extractLower ?? []) expect(reply.toLowerCase()).toContain(part);
	// A reply is plain text: no escape sequences.
	expect(reply).not.toMatch(/\x1b/);
};

const name = (entry: CaptureCase) =>
	`${entry.provider} ${entry.file}: ${entry.status ?? (entry.notStatus ? `not ${entry.notStatus}` : 'reply')}`;

if (existsSync(join(sharedCaptures, 'manifest.json'))) {
	describe('shared captures (../shared/captures/manifest.json)', () => {
		it.each(load(sharedCaptures).map((entry) => [name(entry), entry] as const))('%s', (_name, entry) =>
			check(entry),
		);
	});
} else {
	describe.skip(`shared captures [skipped: ${sharedCaptures} is absent]`, () => {
		it('every case of the manifest', () => {});
	});
}

describe.each(ownManifests)('own captures in %s', (dir) => {
	it.each(load(dir).map((entry) => [name(entry), entry] as const))('%s', (_name, entry) => check(entry));
});
