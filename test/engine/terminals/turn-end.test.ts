import { afterEach, describe, expect, it, vi } from 'vitest';
import { runTurn, type TurnSignal } from '../../../source/engine/terminals/turn-end.js';

describe('runTurn', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	/** A turn whose terminal sends `signals` once the input is sent. */
	const turn = (signals: TurnSignal[], options: { timeoutMs?: number; settledIdleMs?: number } = {}) => {
		let emit: (signal: TurnSignal) => void = () => {};
		let stopped = false;
		const ended = runTurn({
			follow: (onSignal) => {
				emit = onSignal;
				return () => {
					stopped = true;
				};
			},
			send: async () => {
				for (const signal of signals) emit(signal);
			},
			...options,
		});
		return { ended, stopped: () => stopped };
	};

	it('ends at completed, an error, a question or the exit, and stops listening', async () => {
		for (const end of ['completed', 'error', 'waiting_user_answer'] as const) {
			const { ended, stopped } = turn([{ status: 'processing' }, { status: end }]);
			expect(await ended).toBe(end);
			expect(stopped()).toBe(true);
		}
		expect(await turn(['exited']).ended).toBe('exited');
	});

	it('counts idle after processing as done only when told to, once it lasted', async () => {
		vi.useFakeTimers();
		const settled = turn([{ status: 'processing' }, { status: 'idle' }], {
			settledIdleMs: 3000,
			timeoutMs: 10_000,
		});
		await vi.advanceTimersByTimeAsync(2999);
		const early = await Promise.race([settled.ended, Promise.resolve('pending')]);
		expect(early).toBe('pending');
		await vi.advanceTimersByTimeAsync(1);
		expect(await settled.ended).toBe('completed');
		const strict = turn([{ status: 'processing' }, { status: 'idle' }], { timeoutMs: 5000 });
		await vi.advanceTimersByTimeAsync(5000);
		expect(await strict.ended).toBe('timeout');
	});
});
