import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../source/errors.js';
import { missedRunPlan, nextRunAfter, parseFlow, renderPrompt } from '../../source/flows/flow.js';

const file = (frontmatter: string, body = 'Summarise [[ticket]].\n') => `---\n${frontmatter}\n---\n${body}`;
const at = (iso: string) => Date.parse(iso);

describe('parseFlow', () => {
	it('reads every field and the prompt', () => {
		expect(
			parseFlow(
				file(
					[
						'name: health-check',
						'schedule: "*/15 9-17 * * 1-5"',
						'agent_profile: developer',
						'provider: codex',
						'script: ./check.sh',
						'working_directory: /srv/app',
						'timezone: Europe/Berlin',
						'catchup: true',
					].join('\n'),
				),
				'health.md',
			),
		).toEqual({
			name: 'health-check',
			schedule: '*/15 9-17 * * 1-5',
			agentProfile: 'developer',
			provider: 'codex',
			script: './check.sh',
			workingDirectory: '/srv/app',
			timezone: 'Europe/Berlin',
			catchup: true,
			prompt: 'Summarise [[ticket]].',
		});
	});

	it.each([
		['no frontmatter', 'Just a prompt', 'flow x.md: no frontmatter (a --- block of YAML at the top)'],
		[
			'a bad name',
			file('name: a/b\nschedule: "0 9 * * *"\nagent_profile: dev'),
			/^flow x\.md: field 'name': /,
		],
		[
			'six cron fields',
			file('name: a\nschedule: "0 0 9 * * *"\nagent_profile: dev'),
			/field 'schedule': not a 5-field/,
		],
		['a bad cron value', file('name: a\nschedule: "61 9 * * *"\nagent_profile: dev'), /field 'schedule': /],
		[
			'no profile',
			file('name: a\nschedule: "0 9 * * *"'),
			"flow x.md: field 'agent_profile': required (the profile of the agent that runs it)",
		],
		['no schedule', file('name: a\nagent_profile: dev'), /^flow x\.md: field 'schedule': required \(/],
		[
			'a profile that is not a string',
			file('name: a\nschedule: "0 9 * * *"\nagent_profile: [dev]'),
			/^flow x\.md: field 'agent_profile': Invalid input: expected string/,
		],
		[
			'a bad zone',
			file('name: a\nschedule: "0 9 * * *"\nagent_profile: dev\ntimezone: Mars/Base'),
			/field 'timezone': not an IANA/,
		],
		[
			'an unknown field',
			file('name: a\nschedule: "0 9 * * *"\nagent_profile: dev\ncron: x'),
			/Unrecognized key/,
		],
		[
			'no prompt',
			file('name: a\nschedule: "0 9 * * *"\nagent_profile: dev', ''),
			'flow x.md: no prompt (the text after the frontmatter)',
		],
	])('refuses %s in one line naming the file', (_, text, message) => {
		let error: unknown;
		try {
			parseFlow(text, 'x.md');
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(ValidationError);
		expect((error as Error).message).toMatch(message);
		expect((error as Error).message).not.toContain('\n');
	});
});

describe('renderPrompt', () => {
	it('fills placeholders from the gate output, and names the ones missing', () => {
		expect(
			renderPrompt('Look at [[ticket]] on [[ host ]] ([[count]])', { ticket: 'T-1', host: 'db', count: 3 }),
		).toBe('Look at T-1 on db (3)');
		expect(() => renderPrompt('[[a]] [[b]] [[a]]', { b: 'x' })).toThrow('no value for [[a]]');
	});
});

describe('schedule', () => {
	it('gives the next run in the flow’s time zone', () => {
		const flow = { schedule: '0 9 * * 1-5', timezone: 'America/New_York' };
		// Friday 2026-11-27 15:00 UTC is 10:00 in New York: the next weekday 9:00 is Monday.
		expect(nextRunAfter(flow, at('2026-11-27T15:00:00Z'))).toBe(at('2026-11-30T14:00:00Z'));
	});

	it('keeps wall-clock time across a DST change, and runs a skipped hour once, after it', () => {
		const daily = { schedule: '30 9 * * *', timezone: 'Europe/Berlin' };
		// CET (UTC+1) before 29 March 2026, CEST (UTC+2) after.
		expect(nextRunAfter(daily, at('2026-03-28T12:00:00Z'))).toBe(at('2026-03-29T07:30:00Z'));
		expect(nextRunAfter(daily, at('2026-03-27T12:00:00Z'))).toBe(at('2026-03-28T08:30:00Z'));
		// 02:30 does not exist on 29 March: the run comes at 03:00 local, once.
		const night = { schedule: '30 2 * * *', timezone: 'Europe/Berlin' };
		const first = nextRunAfter(night, at('2026-03-28T12:00:00Z'));
		expect(first).toBe(at('2026-03-29T01:00:00Z'));
		expect(nextRunAfter(night, first ?? 0)).toBe(at('2026-03-30T00:30:00Z'));
	});

	it('skips runs missed while no engine ran, or runs once at start with catchup', () => {
		const base = { schedule: '0 * * * *', timezone: 'UTC' };
		const now = at('2026-11-24T12:10:00Z');
		const due = at('2026-11-24T09:00:00Z');
		expect(missedRunPlan({ ...base, catchup: false }, due, now)).toEqual({
			runNow: false,
			missed: true,
			nextRun: at('2026-11-24T13:00:00Z'),
		});
		expect(missedRunPlan({ ...base, catchup: true }, due, now)).toMatchObject({ runNow: true, missed: true });
		expect(missedRunPlan({ ...base, catchup: true }, at('2026-11-24T13:00:00Z'), now)).toMatchObject({
			runNow: false,
			missed: false,
		});
	});
});
