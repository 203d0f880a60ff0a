import { Cron } from 'croner';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { readFrontmatter } from '../frontmatter.js';
import { flowNamePattern, profileNamePattern } from '../names.js';

/** A scheduled agent run, as its file describes it. */
export type Flow = {
	name: string;
	/** Five-field cron: minute hour day-of-month month day-of-week. */
	schedule: string;
	agentProfile: string;
	provider?: string;
	/** A gate run before each run: prints {"execute": bool, "output": {...}}. */
	script?: string;
	workingDirectory?: string;
	/** IANA zone the schedule is read in; default the engine's. */
	timezone?: string;
	/** Run once at start when runs were missed while no engine ran. */
	catchup: boolean;
	/** The prompt, with [[var]] placeholders filled from the script's output. */
	prompt: string;
};

export { flowNamePattern };

const isTimezone = (zone: string) => {
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
};

/** A cron expression croner accepts, of exactly five fields ("0 9 * * 1-5"). */
const isFiveFieldCron = (schedule: string) => {
	if (schedule.trim().split(/\s+/).length !== 5) return false;
	try {
		new Cron(schedule, { paused: true });
		return true;
	} catch {
		return false;
	}
};

/** A string field every flow has: a missing one says so rather than zod's "expected string". */
const required = (what: string) =>
	z.string({ error: (issue) => (issue.input === undefined ? `required (${what})` : undefined) });

const frontmatter = z.strictObject({
	name: required("the flow's name").regex(flowNamePattern, 'letters, digits, - and _ only, at most 64'),
	schedule: required('5-field cron, e.g. "0 9 * * 1-5"').refine(
		isFiveFieldCron,
		'not a 5-field cron expression (minute hour day month weekday)',
	),
	agent_profile: required('the profile of the agent that runs it').regex(
		profileNamePattern,
		'not a profile name',
	),
	provider: z.string().min(1).optional(),
	script: z.string().min(1).optional(),
	working_directory: z.string().min(1).optional(),
	timezone: z.string().refine(isTimezone, 'not an IANA time zone (e.g. Europe/Berlin)').optional(),
	catchup: z.boolean().default(false),
});

/** Reads a flow file; `source` names it in errors, which are one line each. */
export const parseFlow = (text: string, source: string): Flow => {
	const { fields, body: prompt } = readFrontmatter(text, frontmatter, 'flow', source);
	if (!prompt) throw new ValidationError(`flow ${source}: no prompt (the text after the frontmatter)`);
	const { name, schedule, agent_profile, provider, script, working_directory, timezone, catchup } = fields;
	return {
		name,
		schedule: schedule.trim(),
		agentProfile: agent_profile,
		...(provider ? { provider } : {}),
		...(script ? { script } : {}),
		...(working_directory ? { workingDirectory: working_directory } : {}),
		...(timezone ? { timezone } : {}),
		catchup,
		prompt,
	};
};

// "[[ticket]]", "[[ service_name ]]" — a placeholder the gate script's output fills.
const placeholder = /\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]/g;

/** The prompt with its placeholders filled; a missing value is an error naming it. */
export const renderPrompt = (prompt: string, values: Readonly<Record<string, unknown>>): string => {
	const missing = [...prompt.matchAll(placeholder)]
		.map((match) => match[1] as string)
		.filter((key) => values[key] === undefined || values[key] === null);
	if (missing.length > 0)
		throw new ValidationError(`no value for [[${[...new Set(missing)].join(']], [[')}]]`);
	return prompt.replace(placeholder, (_, key: string) => {
		const value = values[key];
		return typeof value === 'string' ? value : JSON.stringify(value);
	});
};

/** The first run strictly after `after` (ms), in the flow's time zone; null when none comes. */
export const nextRunAfter = (flow: Pick<Flow, 'schedule' | 'timezone'>, after: number): number | null => {
	const cron = new Cron(flow.schedule, {
		paused: true,
		...(flow.timezone ? { timezone: flow.timezone } : {}),
	});
	return cron.nextRun(new Date(after))?.getTime() ?? null;
};

/**
 * What a starting engine does with a flow whose next run passed while no engine ran: run it once
 * now (catchup), or skip the missed runs. Either way the next run is the first one after `now`.
 */
export const missedRunPlan = (
	flow: Pick<Flow, 'schedule' | 'timezone' | 'catchup'>,
	nextRun: number | null,
	now: number,
): { runNow: boolean; missed: boolean; nextRun: number | null } => {
	const missed = nextRun !== null && nextRun <= now;
	return { runNow: missed && flow.catchup, missed, nextRun: nextRunAfter(flow, now) };
};
