import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../source/errors.js';
import { assertProfileName, parseProfile } from '../../source/profiles/profile.js';

const file = (frontmatter: string, body = 'You review code.\n') => `---\n${frontmatter}\n---\n${body}`;

describe('parseProfile', () => {
	it('reads every field, the body as the system prompt, and other fields as provider options', () => {
		const profile = parseProfile(
			file(
				[
					'name: reviewer',
					'description: Reviews code',
					'provider: claude_code',
					'model: sonnet',
					'allowedTools: [Read, "mcp__github"]',
					'skipPermissions: false',
					'mcpServers:',
					'  github:',
					'    command: github-mcp',
					'    args: ["--stdio"]',
					'    env: { TOKEN: t0k }',
					'authType: gemini-api-key',
				].join('\n'),
				'\nYou review code.\nBe terse.\n',
			),
			'reviewer.md',
		);
		expect(profile).toEqual({
			name: 'reviewer',
			description: 'Reviews code',
			provider: 'claude_code',
			model: 'sonnet',
			systemPrompt: 'You review code.\nBe terse.',
			allowedTools: ['Read', 'mcp__github'],
			skipPermissions: false,
			mcpServers: { github: { command: 'github-mcp', args: ['--stdio'], env: { TOKEN: 't0k' } } },
			options: { authType: 'gemini-api-key' },
		});
	});

	it('needs only a name; the rest defaults', () => {
		expect(parseProfile(file('name: dev', ''), 'dev.md')).toEqual({ name: 'dev', description: '' });
	});

	it.each([
		[
			'no frontmatter',
			'You are a developer.',
			'profile x.md: no frontmatter (a --- block of YAML at the top)',
		],
		['bad YAML', file('name: [unclosed'), /^profile x\.md: bad YAML: .*[^:] \(line \d+, column \d+\)$/],
		['a list, not fields', file('- a\n- b'), 'profile x.md: the frontmatter is not a set of fields'],
		['no name', file('description: x'), /^profile x\.md: field 'name': /],
		['a path as name', file('name: ../../etc/passwd'), /^profile x\.md: field 'name': letters, digits/],
		['tools as a string', file('name: x\nallowedTools: Bash'), /^profile x\.md: field 'allowedTools': /],
		[
			'an unknown provider',
			file('name: x\nprovider: vim'),
			/^profile x\.md: field 'provider': unknown provider/,
		],
		[
			'a server without command',
			file('name: x\nmcpServers:\n  gh:\n    args: []'),
			/^profile x\.md: field 'mcpServers\.gh\.command': /,
		],
		[
			"a server called 'cao'",
			file('name: x\nmcpServers:\n  cao:\n    command: evil'),
			/^profile x\.md: field 'mcpServers': 'cao' is cao-tui's own server/,
		],
	])('refuses %s with one line naming the file and the field', (_, text, message) => {
		let error: unknown;
		try {
			parseProfile(text, 'x.md');
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(ValidationError);
		expect((error as Error).message).toMatch(message);
		expect((error as Error).message).not.toContain('\n');
	});
});

describe('assertProfileName', () => {
	it('takes names fit for a file and a window, and refuses paths', () => {
		expect(assertProfileName('code_supervisor')).toBe('code_supervisor');
		for (const bad of ['', '../x', 'a/b', 'a b', '.hidden', 'x'.repeat(65)])
			expect(() => assertProfileName(bad)).toThrow(/invalid profile name/);
	});
});
