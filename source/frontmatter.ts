import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from './errors.js';

// "---\nname: developer\n---\nYou are …": YAML between two --- lines at the top, then the body.
const frontmatterBlock = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** The first problem zod found, as "field 'a.b': …". */
export const describeIssue = (issues: readonly z.core.$ZodIssue[]): string => {
	const [issue] = issues;
	if (!issue) return 'invalid';
	const field = issue.path.map(String).join('.');
	return field ? `field '${field}': ${issue.message}` : issue.message;
};

/**
 * A markdown file with YAML frontmatter, checked by `schema`: its fields and its body (trimmed).
 * Errors are one line: "`kind` `source`: field 'x': …".
 */
/** The YAML parser's first line, placed in the file (the YAML starts after the first "---"). */
const yamlProblem = (error: unknown): string => {
	if (!(error instanceof Error)) return String(error);
	// "… must end with a ] at line 3, column 1:" (a snippet of the source follows)
	const first = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
	const at = (error as { linePos?: readonly { line: number; col: number }[] }).linePos?.[0];
	return at ? `${first} (line ${at.line + 1}, column ${at.col})` : first;
};

export const readFrontmatter = <T>(
	text: string,
	schema: z.ZodType<T>,
	kind: string,
	source: string,
): { fields: T; body: string } => {
	const fail = (problem: string) => new ValidationError(`${kind} ${source}: ${problem}`);
	const block = frontmatterBlock.exec(text);
	if (!block) throw fail('no frontmatter (a --- block of YAML at the top)');
	let data: unknown;
	try {
		data = parseYaml(block[1] ?? '');
	} catch (error) {
		throw fail(`bad YAML: ${yamlProblem(error)}`);
	}
	if (data === null || typeof data !== 'object' || Array.isArray(data))
		throw fail('the frontmatter is not a set of fields');
	const parsed = schema.safeParse(data);
	if (!parsed.success) throw fail(describeIssue(parsed.error.issues));
	return { fields: parsed.data, body: text.slice(block[0].length).trim() };
};
