import type { TerminalRecord } from '../engine/store/terminal-repository.js';
import { runTurn, turnSignalOf } from '../engine/terminals/turn-end.js';
import { CaoError, oneLine } from '../errors.js';

/** What the agents' tools need of the engine: its control API and its event stream. */
export type EngineClient = {
	request(method: string, path: string, body?: unknown): Promise<unknown>;
	follow(onEvent: (event: { topic: string } & Record<string, unknown>) => void): Promise<{ close(): void }>;
};

export type Orchestration = ReturnType<typeof createOrchestration>;

/** How long an idle worker must stay idle, after it was seen processing, to count as done. */
const settledIdleMs = 3000;

/** The instruction appended to an assigned task, so the results come back. */
export const replyInstruction = (callerId: string) =>
	`When you are done, send your results to terminal ${callerId} with the send_message tool (receiver_id: "${callerId}").`;

/**
 * handoff, assign and send_message for the agent in terminal `callerId`, on the engine's API.
 * Workers start in the caller's session and folder, with the caller's provider unless their
 * profile names one.
 */
export const createOrchestration = (engine: EngineClient, callerId: string) => {
	const terminal = (id: string) => `/terminals/${encodeURIComponent(id)}`;
	const caller = async () => (await engine.request('GET', terminal(callerId))) as TerminalRecord;

	const startWorker = async (profile: string): Promise<TerminalRecord> => {
		const me = await caller();
		return (await engine.request('POST', '/terminals', {
			profile,
			defaultProvider: me.provider,
			session: me.session,
			workingDirectory: me.workingDirectory,
			callerId,
		})) as TerminalRecord;
	};

	return {
		async handoff(profile: string, message: string, timeoutSeconds = 600): Promise<string> {
			const worker = await startWorker(profile);
			const left = (why: string) =>
				new CaoError(
					`worker ${worker.id} (${profile}) ${why}; it is left running (cao-tui attach ${worker.id})`,
				);
			// Over at completed, or at idle that lasted settledIdleMs after processing was seen.
			const outcome = await runTurn({
				follow: async (onSignal) => {
					const stream = await engine.follow((event) => {
						const signal = turnSignalOf(worker.id, event);
						if (signal) onSignal(signal);
					});
					return () => stream.close();
				},
				send: async () => {
					await engine.request('POST', `${terminal(worker.id)}/input`, { text: message });
				},
				timeoutMs: timeoutSeconds * 1000,
				settledIdleMs,
			}).catch((error: unknown) => {
				throw left(`could not be given the task: ${oneLine(error)}`);
			});
			if (outcome === 'exited') throw new CaoError(`worker ${worker.id} (${profile}) exited`);
			if (outcome !== 'completed')
				throw left(
					outcome === 'timeout'
						? `did not finish within ${timeoutSeconds}s`
						: outcome === 'waiting_user_answer'
							? 'is waiting for an answer'
							: 'ended its turn with an error',
				);
			const { output } = (await engine
				.request('GET', `${terminal(worker.id)}/output?mode=last`)
				.catch((error: unknown) => {
					throw left(`finished, but its reply could not be read: ${oneLine(error)}`);
				})) as { output: string };
			await engine.request('DELETE', `${terminal(worker.id)}?exit=1`);
			return output;
		},

		async assign(profile: string, message: string): Promise<string> {
			const worker = await startWorker(profile);
			await engine
				.request('POST', `${terminal(worker.id)}/input`, {
					text: `${message}\n\n${replyInstruction(callerId)}`,
				})
				.catch((error: unknown) => {
					throw new CaoError(
						`worker ${worker.id} (${profile}) could not be given the task: ${oneLine(error)}; it is left running`,
					);
				});
			return worker.id;
		},

		async sendMessage(message: string, receiverId?: string): Promise<string> {
			const receiver = receiverId ?? (await caller()).callerId;
			if (!receiver)
				throw new CaoError('no receiver: this terminal was not started by another; give receiver_id');
			const queued = (await engine.request('POST', '/inbox', {
				senderId: callerId,
				receiverId: receiver,
				message,
			})) as {
				id: number;
			};
			return `message ${queued.id} queued for ${receiver}; it is delivered when that agent is ready`;
		},
	};
};
