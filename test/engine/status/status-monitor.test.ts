import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBus, type EventBus } from '../../../source/engine/bus.js';
import { type TerminalEvents, terminalTopic } from '../../../source/engine/events.js';
import {
	acceptTransition,
	bufferLimit,
	createStatusMonitor,
	quietWindowMs,
	type StatusMonitor,
	turnHeadLimit,
	inputSentRule,
	streamingDetectMs,
} from '../../../source/engine/status/status-monitor.js';
import type { TerminalStatus } from '../../../source/engine/status/statuses.js';
import { fakeProvider } from '../../../source/providers/fake.js';
import type { Provider } from '../../../source/providers/types.js';
import { banner, frame, prompt, reply, spinEnd, title } from '../../helpers/fake-stream.js';

const id = 'a1b2c3d4';
const start = 1_700_000_000_000;

type StatusEvent = TerminalEvents['status'];

describe('acceptTransition', () => {
	it.each<[TerminalStatus, TerminalStatus, boolean, boolean]>([
		// Same status: nothing to publish.
		['idle', 'idle', false, false],
		['processing', 'processing', true, false],
		// Unknown never replaces a known status, latch open or not.
		['idle', 'unknown', false, false],
		['completed', 'unknown', true, false],
		['processing', 'unknown', true, false],
		['unknown', 'unknown', false, false],
		// From a non-ready status anything known goes.
		['unknown', 'idle', false, true],
		['unknown', 'processing', false, true],
		['unknown', 'completed', false, true],
		['processing', 'completed', false, true],
		['processing', 'idle', false, true],
		['processing', 'error', false, true],
		['processing', 'waiting_user_answer', false, true],
		// The latch: a ready status is not turned back into processing without input.
		['idle', 'processing', false, false],
		['completed', 'processing', false, false],
		['waiting_user_answer', 'processing', false, false],
		['error', 'processing', false, false],
		['idle', 'processing', true, true],
		['completed', 'processing', true, true],
		['waiting_user_answer', 'processing', true, true],
		// Completed does not fall back to idle on a repaint, only after input.
		['completed', 'idle', false, false],
		['completed', 'idle', true, true],
		// Other moves between ready statuses are allowed.
		['idle', 'completed', false, true],
		['idle', 'error', false, true],
		['idle', 'waiting_user_answer', false, true],
		['completed', 'waiting_user_answer', false, true],
		['completed', 'error', false, true],
		['waiting_user_answer', 'completed', false, true],
		['waiting_user_answer', 'idle', false, true],
		['error', 'idle', false, true],
	])('%s -> %s (afterInput %s): %s', (current, next, afterInput, expected) => {
		expect(acceptTransition(current, next, afterInput)).toBe(expected);
	});
});

describe('createStatusMonitor', () => {
	let bus: EventBus;
	let busErrors: unknown[];
	let monitor: StatusMonitor;
	let events: StatusEvent[];
	let detect: ReturnType<typeof vi.fn<Provider['detect']>>;
	/** fakeProvider with a call counter on detect: a spy on the collaborator, not a mock. */
	let counted: Provider;

	const feed = (data: string, terminalId = id) =>
		bus.emit(terminalTopic(terminalId, 'output'), {
			terminalId,
			data,
			bytes: Buffer.from(data),
			at: Date.now(),
		});
	const statuses = () => events.map((event) => event.status);

	beforeEach(() => {
		vi.useFakeTimers();
		vi.setSystemTime(start);
		busErrors = [];
		bus = createEventBus((error) => busErrors.push(error));
		events = [];
		bus.on('terminal.*.status', (event) => events.push(event));
		detect = vi.fn<Provider['detect']>((buffer, context) => fakeProvider.detect(buffer, context));
		counted = { ...fakeProvider, detect };
		monitor = createStatusMonitor({ bus });
		monitor.start();
	});

	afterEach(() => {
		monitor.stop();
		vi.useRealTimers();
		expect(busErrors).toEqual([]);
	});

	/** Registers the terminal and brings it to idle, quiet window passed. */
	const toIdle = (provider: Provider = fakeProvider) => {
		monitor.register(id, provider);
		feed(banner + prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(monitor.getStatus(id)?.status).toBe('idle');
	};

	/** From idle: input sent, spinner, reply and prompt, quiet window passed. */
	const toCompleted = () => {
		toIdle();
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`hi\r\n${frame(0)}`);
		feed(frame(1) + spinEnd + reply('Echo: hi') + prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(monitor.getStatus(id)?.status).toBe('completed');
		events = [];
	};

	it('starts unknown and turns idle on the first chunk, at once', () => {
		monitor.register(id, fakeProvider);
		expect(monitor.getStatus(id)).toEqual({ status: 'unknown', rule: 'initial', line: '', at: start });

		vi.setSystemTime(start + 5);
		feed(banner + prompt);
		expect(events).toEqual([
			{ terminalId: id, status: 'idle', previous: 'unknown', rule: 'fake.prompt', line: '❯', at: start + 5 },
		]);
		expect(monitor.getStatus(id)).toEqual({ status: 'idle', rule: 'fake.prompt', line: '❯', at: start + 5 });

		vi.advanceTimersByTime(quietWindowMs);
		expect(events).toHaveLength(1);
	});

	it('publishes the topic of the terminal the output came from', () => {
		const topics: string[] = [];
		bus.onAny((topic) => topics.push(topic));
		monitor.register(id, fakeProvider);
		feed(banner + prompt);
		expect(topics).toContain(`terminal.${id}.status`);
	});

	it('after notifyInputSent goes processing then completed, each published once with its evidence', () => {
		toIdle();
		events = [];
		vi.setSystemTime(start + 1_000);
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);

		feed(`\r\n${title('⠋ fake-agent')}${frame(0)}`);
		// The spinner keeps redrawing, faster than the quiet window.
		for (let index = 1; index < 10; index++) {
			vi.advanceTimersByTime(100);
			feed(frame(index));
		}
		vi.advanceTimersByTime(100);
		feed(spinEnd + reply('Echo: hi'));
		vi.advanceTimersByTime(50);
		feed(prompt);
		const quietFrom = Date.now();
		vi.advanceTimersByTime(quietWindowMs - 1);
		expect(statuses()).toEqual(['processing']);
		vi.advanceTimersByTime(1);

		expect(events).toEqual([
			{
				terminalId: id,
				status: 'processing',
				previous: 'idle',
				rule: inputSentRule,
				line: '',
				at: start + 1_000,
			},
			{
				terminalId: id,
				status: 'completed',
				previous: 'processing',
				rule: 'fake.reply-then-prompt',
				line: '● Echo: hi',
				at: quietFrom + quietWindowMs,
			},
		]);

		// Nothing more comes from the quiet screen.
		vi.advanceTimersByTime(10 * quietWindowMs);
		expect(events).toHaveLength(2);
	});

	it('publishes processing as soon as input is sent, and not again while the spinner redraws', () => {
		toIdle(counted);
		events = [];
		detect.mockClear();
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		expect(events).toEqual([
			expect.objectContaining({ status: 'processing', previous: 'idle', rule: inputSentRule }),
		]);

		feed('hi'); // the echo of the paste
		vi.advanceTimersByTime(60); // submitDelayMs, then Enter
		feed(`\r\n${title('⠋ fake-agent')}${frame(0)}`);
		for (let index = 1; index < 10; index++) {
			vi.advanceTimersByTime(100);
			feed(frame(index));
		}
		expect(statuses()).toEqual(['processing']);
		// Streaming output is not detected chunk by chunk.
		expect(detect).not.toHaveBeenCalled();
	});

	it('publishes a turn that ends in the status it began in, and closes the latch', () => {
		toCompleted();
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`again\r\n${frame(0)}${spinEnd}${reply('Echo: again')}${prompt}`);
		vi.advanceTimersByTime(quietWindowMs);
		expect(events.map((event) => `${event.previous}→${event.status}`)).toEqual([
			'completed→processing',
			'processing→completed',
		]);
		// Closed: a spinner-like line without input does not reopen the turn.
		feed(`\r\n${frame(3)}`);
		vi.advanceTimersByTime(quietWindowMs);
		expect(statuses()).toEqual(['processing', 'completed']);
	});

	it('judges keys that make no output once the quiet window has passed', () => {
		toIdle();
		events = [];
		monitor.notifyInputSent(id);
		vi.advanceTimersByTime(quietWindowMs);
		expect(events.map((event) => `${event.previous}→${event.status}`)).toEqual([
			'idle→processing',
			'processing→idle',
		]);
	});

	it('survives a provider whose detect throws: unknown, reported once, the next success counts', () => {
		const warnings: string[] = [];
		bus.on('engine.warning', ({ message }) => warnings.push(message));
		let broken = true;
		const flaky: Provider = {
			...fakeProvider,
			detect: (buffer, context) => {
				if (broken) throw new Error('detector bug');
				return fakeProvider.detect(buffer, context);
			},
		};
		monitor.register(id, flaky);
		feed(banner);
		vi.advanceTimersByTime(quietWindowMs);
		feed(prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(warnings).toEqual([`fake detection failed for terminal ${id}: detector bug`]);
		expect(monitor.getStatus(id)?.status).toBe('unknown');
		broken = false;
		feed(' ');
		vi.advanceTimersByTime(quietWindowMs);
		expect(monitor.getStatus(id)?.status).toBe('idle');
	});

	it('looks once per streamingDetectMs while output never pauses (a question under a live spinner)', () => {
		toIdle(counted);
		detect.mockClear();
		feed('\r\nstart');
		// A chunk every 100 ms for 3 s: the quiet window never passes.
		for (let index = 1; index <= 30; index++) {
			vi.advanceTimersByTime(100);
			feed(frame(index));
		}
		expect(detect).toHaveBeenCalledTimes(1 + (30 * 100) / streamingDetectMs);
	});

	it('without input, streamed chunks are not detected one by one', () => {
		toIdle(counted);
		detect.mockClear();
		feed('\r\nnoise');
		// Under streamingDetectMs of streaming: no look beyond the first chunk.
		for (let index = 0; index < 10; index++) {
			vi.advanceTimersByTime(90);
			feed(' more');
		}
		expect(detect).toHaveBeenCalledTimes(1);
	});

	it('does not downgrade a ready status to processing without notifyInputSent (latch)', () => {
		toIdle();
		events = [];
		feed(`\r\n${frame(0)}`);
		expect(
			fakeProvider.detect(monitor.getBuffer(id) ?? '', { afterInput: false, profile: null }).status,
		).toBe('processing');
		vi.advanceTimersByTime(quietWindowMs);
		expect(events).toEqual([]);
		expect(monitor.getStatus(id)?.status).toBe('idle');
	});

	it('does not downgrade completed to idle when the prompt is repainted, and emits nothing', () => {
		toCompleted();
		feed(`\r\x1b[2K${title('✳ fake-agent')}❯ `);
		// The repainted screen on its own reads as idle: only the latch keeps completed.
		expect(
			fakeProvider.detect(monitor.getBuffer(id) ?? '', { afterInput: false, profile: null }).status,
		).toBe('idle');
		vi.advanceTimersByTime(quietWindowMs);
		vi.advanceTimersByTime(quietWindowMs);
		feed(`\r\x1b[2K${title('✳ fake-agent')}❯ `);
		vi.advanceTimersByTime(quietWindowMs);
		expect(events).toEqual([]);
		expect(monitor.getStatus(id)).toMatchObject({ status: 'completed', rule: 'fake.reply-then-prompt' });
	});

	it('lets a new turn go from completed through processing again once input is sent', () => {
		toCompleted();
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`\r\n${frame(0)}`);
		vi.advanceTimersByTime(quietWindowMs);
		feed(spinEnd + reply('Echo: again') + prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(events.map((event) => [event.previous, event.status, event.line])).toEqual([
			['completed', 'processing', ''],
			['processing', 'completed', '● Echo: again'],
		]);
	});

	it.each([false, true])('never replaces a known status with unknown (input sent: %s)', (inputSent) => {
		toIdle();
		if (inputSent) monitor.notifyInputSent(id);
		const known = monitor.getStatus(id)?.status;
		events = [];
		feed('\r\nsome noise that no rule knows');
		expect(
			fakeProvider.detect(monitor.getBuffer(id) ?? '', { afterInput: inputSent, profile: null }).status,
		).toBe('unknown');
		vi.advanceTimersByTime(quietWindowMs);
		expect(events).toEqual([]);
		expect(monitor.getStatus(id)?.status).toBe(known);
	});

	it('publishes waiting_user_answer and error after input', () => {
		toIdle();
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`\r\n${frame(0)}`);
		vi.advanceTimersByTime(quietWindowMs);
		feed(`${spinEnd}? Allow fake-agent to write notes.txt? (y/n) `);
		vi.advanceTimersByTime(quietWindowMs);
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`\r\n${frame(0)}`);
		vi.advanceTimersByTime(quietWindowMs);
		feed(`${spinEnd}✗ Error: simulated failure\r\n${prompt}`);
		vi.advanceTimersByTime(quietWindowMs);
		expect(statuses()).toEqual(['idle', 'processing', 'waiting_user_answer', 'processing', 'error']);
	});

	it('keeps the buffer within bufferLimit: the start of the turn and the newest bytes', () => {
		monitor.register(id, fakeProvider);
		let all = '';
		for (let index = 0; all.length < 200 * 1024; index++) {
			const chunk = `line ${index} ${'x'.repeat(90)}\r\n`.repeat(40);
			all += chunk;
			feed(chunk);
			expect(monitor.getBuffer(id)?.length).toBeLessThanOrEqual(bufferLimit);
		}
		expect(bufferLimit).toBe(32 * 1024);
		const head = all.slice(0, turnHeadLimit);
		expect(monitor.getBuffer(id)).toBe(`${head}\n${all.slice(-(bufferLimit - turnHeadLimit - 1))}`);
		expect(monitor.getBuffer(id)).toHaveLength(bufferLimit);
	});

	it('counts the limit in UTF-8 bytes and never cuts a character in half', () => {
		monitor.register(id, fakeProvider);
		for (let index = 0; index < 2000; index++) {
			feed(`${index % 7 === 0 ? '⠋' : 'é'} line ${index} ●\r\n`);
			const buffer = monitor.getBuffer(id) ?? '';
			expect(Buffer.byteLength(buffer)).toBeLessThanOrEqual(bufferLimit);
			expect(buffer).not.toContain('\uFFFD');
		}
		expect(monitor.getBuffer(id)?.startsWith('⠋ line 0 ●\r\né line 1 ●')).toBe(true);
		expect(monitor.getBuffer(id)?.endsWith('é line 1999 ●\r\n')).toBe(true);
	});

	it('lets a provider compact an outgrown buffer, and falls back to cutting it when that fails', () => {
		const warnings: string[] = [];
		bus.on('engine.warning', ({ message }) => warnings.push(message));
		monitor.register(id, { ...fakeProvider, compact: (buffer) => `[screen of ${buffer.length}]` });
		feed('x'.repeat(bufferLimit + 10));
		expect(monitor.getBuffer(id)).toBe(`[screen of ${bufferLimit + 10}]`);
		monitor.register('t2', {
			...fakeProvider,
			compact: () => {
				throw new Error('bad frame');
			},
		});
		feed('y'.repeat(bufferLimit + 10), 't2');
		expect(monitor.getBuffer('t2')?.length).toBeLessThanOrEqual(bufferLimit);
		expect(warnings).toEqual([`fake could not compact the buffer of terminal t2: bad frame`]);
	});

	it('keeps the head and the newest bytes of a single chunk bigger than the limit', () => {
		monitor.register(id, fakeProvider);
		const big = `${'a'.repeat(100 * 1024)}${'b'.repeat(bufferLimit - 10)}tail-0123`;
		feed(big);
		expect(monitor.getBuffer(id)).toHaveLength(bufferLimit);
		expect(monitor.getBuffer(id)?.endsWith('tail-0123')).toBe(true);
		expect(monitor.getBuffer(id)?.startsWith('a'.repeat(turnHeadLimit))).toBe(true);
	});

	it('starts a fresh head at each input, so the newest turn’s start is what is kept', () => {
		monitor.register(id, fakeProvider);
		feed('old turn '.repeat(10_000));
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`new turn ${'y'.repeat(40 * 1024)}`);
		expect(monitor.getBuffer(id)?.startsWith('new turn ')).toBe(true);
		expect(monitor.getBuffer(id)).not.toContain('old turn');
	});

	it('completes a turn whose reply is longer than the buffer (the reply’s first line is kept)', () => {
		monitor.register(id, fakeProvider);
		feed(banner + prompt);
		vi.advanceTimersByTime(quietWindowMs);
		monitor.notifyInputSent(id);
		monitor.clearBuffer(id);
		feed(`long please\r\n${frame(0)}`);
		const body = Array.from({ length: 1600 }, (_, index) => `  line ${index} of a very long reply\r\n`).join(
			'',
		);
		feed(`${spinEnd}● Here is a long reply\r\n${body}`);
		expect(body.length).toBeGreaterThan(bufferLimit);
		feed(prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(statuses()).toEqual(['idle', 'processing', 'completed']);
		expect(events.at(-1)).toMatchObject({ rule: 'fake.reply-then-prompt', line: '● Here is a long reply' });
	});

	it('detects on the first chunk after quiet and once after the quiet window, not on every chunk', () => {
		monitor.register(id, counted);
		feed(banner);
		expect(detect).toHaveBeenCalledTimes(1);

		// Streaming: a chunk every 50 ms, for just under streamingDetectMs.
		for (let index = 0; index < 19; index++) {
			vi.advanceTimersByTime(50);
			feed(`chunk ${index}\r\n`);
		}
		expect(detect).toHaveBeenCalledTimes(1);

		vi.advanceTimersByTime(quietWindowMs - 1);
		expect(detect).toHaveBeenCalledTimes(1);
		vi.advanceTimersByTime(1);
		expect(detect).toHaveBeenCalledTimes(2);
		// The quiet-window detection saw everything streamed.
		expect(detect.mock.lastCall?.[0]).toContain('chunk 18');

		// Quiet stays quiet.
		vi.advanceTimersByTime(10 * quietWindowMs);
		expect(detect).toHaveBeenCalledTimes(2);

		// The next chunk after the quiet spell is detected at once again.
		feed(prompt);
		expect(detect).toHaveBeenCalledTimes(3);
		expect(monitor.getStatus(id)?.status).toBe('idle');
	});

	it('passes the latch and the profile to the provider', () => {
		monitor.register(id, counted, 'reviewer');
		feed(banner + prompt);
		expect(detect.mock.lastCall?.[1]).toEqual({ afterInput: false, profile: 'reviewer' });
		vi.advanceTimersByTime(quietWindowMs);
		monitor.notifyInputSent(id);
		feed(`\r\n${frame(0)}`);
		// Processing is not a ready status: the latch stays open.
		vi.advanceTimersByTime(quietWindowMs);
		expect(detect.mock.lastCall?.[1]).toEqual({ afterInput: true, profile: 'reviewer' });
		feed(spinEnd + reply('Echo: hi') + prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(monitor.getStatus(id)?.status).toBe('completed');
		// A ready status closed the latch.
		feed('\r\nmore');
		expect(detect.mock.lastCall?.[1]).toEqual({ afterInput: false, profile: 'reviewer' });
	});

	it('clearBuffer empties the buffer and keeps the status and the latch', () => {
		toIdle();
		events = [];
		const before = monitor.getStatus(id);
		monitor.clearBuffer(id);
		expect(monitor.getBuffer(id)).toBe('');
		expect(monitor.getStatus(id)).toEqual(before);
		// Still latched: processing output without input changes nothing.
		feed(frame(0));
		vi.advanceTimersByTime(quietWindowMs);
		expect(events).toEqual([]);
		expect(monitor.getBuffer(id)).toBe(frame(0));
	});

	it('reset goes back to unknown with an empty buffer and cancels the pending detection', () => {
		monitor.register(id, counted);
		feed(banner + prompt);
		expect(detect).toHaveBeenCalledTimes(1);
		vi.setSystemTime(start + 42);
		monitor.reset(id);
		expect(monitor.getStatus(id)).toEqual({ status: 'unknown', rule: 'initial', line: '', at: start + 42 });
		expect(monitor.getBuffer(id)).toBe('');
		vi.advanceTimersByTime(quietWindowMs);
		expect(detect).toHaveBeenCalledTimes(1);

		// It is as if just registered: the next chunk is detected at once, from unknown.
		events = [];
		feed(prompt);
		expect(detect).toHaveBeenCalledTimes(2);
		expect(events.map((event) => [event.previous, event.status])).toEqual([['unknown', 'idle']]);
	});

	it('reset works when called detached from the monitor object', () => {
		monitor.register(id, fakeProvider);
		feed(banner + prompt);
		const { reset } = monitor;
		expect(() => reset(id)).not.toThrow();
		expect(monitor.getStatus(id)?.status).toBe('unknown');
	});

	it('forget stops events and cancels the pending detection', () => {
		monitor.register(id, counted);
		feed(banner);
		expect(detect).toHaveBeenCalledTimes(1);
		monitor.forget(id);
		vi.advanceTimersByTime(quietWindowMs);
		feed(prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(detect).toHaveBeenCalledTimes(1);
		expect(events).toEqual([]);
		expect(monitor.getStatus(id)).toBeUndefined();
		expect(monitor.getBuffer(id)).toBeUndefined();
	});

	it('ignores output of unregistered terminals and keeps terminals apart', () => {
		const other = 'ffff0000';
		monitor.register(id, fakeProvider);
		monitor.register(other, fakeProvider);
		feed(banner + prompt, 'deadbeef');
		feed(banner + prompt, other);
		expect(events.map((event) => event.terminalId)).toEqual([other]);
		expect(monitor.getStatus(id)?.status).toBe('unknown');
		expect(monitor.getBuffer(id)).toBe('');
		expect(monitor.getBuffer('deadbeef')).toBeUndefined();
	});

	it('methods on an unknown id do nothing', () => {
		expect(() => {
			monitor.clearBuffer('00000000');
			monitor.notifyInputSent('00000000');
			monitor.reset('00000000');
			monitor.forget('00000000');
		}).not.toThrow();
		expect(monitor.getStatus('00000000')).toBeUndefined();
	});

	it('stop stops listening and cancels pending detections', () => {
		monitor.register(id, counted);
		feed(banner);
		monitor.stop();
		vi.advanceTimersByTime(quietWindowMs);
		feed(prompt);
		vi.advanceTimersByTime(quietWindowMs);
		expect(detect).toHaveBeenCalledTimes(1);
		expect(events).toEqual([]);
	});

	it('start twice subscribes once', () => {
		monitor.start();
		monitor.register(id, counted);
		feed(banner + prompt);
		expect(detect).toHaveBeenCalledTimes(1);
		expect(events).toHaveLength(1);
	});

	// stop() must forget its quiet timers: refresh() of a cleared Node timer is a no-op, so a kept
	// one would leave the terminal undetected after start() again.
	it('after stop() and start() again, the first chunk is detected at once', () => {
		monitor.register(id, counted);
		feed(banner);
		monitor.stop();
		vi.advanceTimersByTime(quietWindowMs);
		monitor.start();
		feed(prompt);
		expect(detect).toHaveBeenCalledTimes(2);
		expect(statuses()).toEqual(['idle']);
	});
});
