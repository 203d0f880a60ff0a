import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { oneLine } from '../errors.js';
import { nextRunAfter } from '../flows/flow.js';
import { loadFlow } from '../flows/flow-file.js';

export const demoSession = 'cao-demo';
const demoFlowName = 'demo-standup';

const demoFlow = `---
name: ${demoFlowName}
schedule: "*/2 * * * *"
agent_profile: developer
provider: fake
---
Write today's stand-up note: what the demo team did, what comes next.
`;

/** What the supervisor and the workers say to each other, round after round. */
const script = (round: number) => [
	{
		from: 'supervisor',
		to: 'developer',
		text: `Implement step ${round} of the plan: parse the config file.`,
	},
	{ from: 'developer', to: 'supervisor', text: `Step ${round} is done and its tests pass.` },
	{ from: 'supervisor', to: 'reviewer', text: `Review step ${round}, please.` },
	{ from: 'reviewer', to: 'supervisor', text: `Step ${round} looks good; one naming nit.` },
];

/**
 * `cao-tui --demo`: a fake supervisor and two fake workers (the fake agent CLI, no model needed)
 * that message each other every few seconds, now and then a question that waits for an answer
 * (answer it with `i` then `y`), and a flow every two minutes. A second run reuses the demo's
 * terminals. Returns what stops the exchange (the terminals keep running, as all do).
 */
export const startDemo = async (engine: Engine, { stepMs = 5000 } = {}): Promise<() => void> => {
	const roles = ['supervisor', 'developer', 'reviewer'] as const;
	const profileOf = { supervisor: 'code_supervisor', developer: 'developer', reviewer: 'reviewer' };
	const existing = engine.terminals.list().filter((record) => record.session === demoSession);
	const ids: Record<string, string> = {};
	await Promise.all(
		roles.map(async (role) => {
			const found = existing.find((record) => record.profile === profileOf[role]);
			ids[role] =
				found?.id ??
				(
					await engine.launch({
						profile: profileOf[role],
						provider: 'fake',
						session: demoSession,
						args: ['--think-ms', role === 'supervisor' ? '1500' : '3000'],
					})
				).id;
		}),
	);

	const folder = join(engine.paths.home, 'demo');
	mkdirSync(folder, { recursive: true, mode: 0o700 });
	const file = join(folder, `${demoFlowName}.md`);
	writeFileSync(file, demoFlow);
	if (!engine.flows.repository.get(demoFlowName)) {
		const flow = await loadFlow(file);
		engine.flows.repository.add(demoFlowName, file, nextRunAfter(flow, Date.now()), flow);
	}
	await engine.flows.setEnabled(demoFlowName, true);

	let step = 0;
	const warn = (error: unknown) =>
		engine.bus.emit('engine.warning', { message: `demo: ${oneLine(error)}`, at: Date.now() });
	const timer = setInterval(() => {
		const round = Math.floor(step / 4) + 1;
		const line = script(round)[step % 4];
		step += 1;
		try {
			if (line) engine.inbox.send(ids[line.from] ?? '', ids[line.to] ?? '', line.text);
			// Every third round the reviewer asks something and waits for an answer.
			if (step % 12 === 0) void engine.terminals.sendInput(ids.reviewer ?? '', '!ask').catch(warn);
		} catch (error) {
			warn(error);
		}
	}, stepMs);
	return () => clearInterval(timer);
};
