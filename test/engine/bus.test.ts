import { beforeEach, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus, topicMatches } from '../../source/engine/bus.js';
import type { TerminalEvents } from '../../source/engine/events.js';

const status = (terminalId: string): TerminalEvents['status'] => ({
	terminalId,
	status: 'idle',
	previous: 'unknown',
	rule: 'test.rule',
	line: '❯',
	at: 1,
});

const output = (terminalId: string, data = 'x'): TerminalEvents['output'] => ({
	terminalId,
	data,
	bytes: Buffer.from(data),
	at: 1,
});

describe('topicMatches', () => {
	it.each([
		['terminal.*.status', 'terminal.ab.status', true],
		['terminal.*.status', 'terminal.ab.output', false],
		['terminal.*.status', 'terminal.a.b.status', false],
		['terminal.*.status', 'terminal.status', false],
		['terminal.*.status', 'terminal.ab.status.x', false],
		['terminal.*.status', 'terminal.ab.statusx', false],
		['terminal.*.status', 'terminalx.ab.status', false],
		['terminal.*', 'terminal.ab', true],
		['terminal.*', 'terminal', false],
		['terminal.*', 'terminal.ab.status', false],
		['*.*.*', 'terminal.ab.status', true],
		['*.*.*', 'engine.started', false],
		['*', 'engine', true],
		['*', 'engine.started', false],
		['engine.started', 'engine.started', true],
		['engine.started', 'engine.startedx', false],
		['engine.started', 'engine.started.x', false],
		['engine.started', 'engine', false],
		['engine', 'engine.started', false],
	])('pattern %s vs topic %s -> %s', (pattern, topic, expected) => {
		expect(topicMatches(pattern.split('.'), topic)).toBe(expected);
	});
});

describe('createEventBus', () => {
	let errors: { error: unknown; topic: string }[];
	let bus: EventBus;

	beforeEach(() => {
		errors = [];
		bus = createEventBus((error, topic) => errors.push({ error, topic }));
	});

	it('delivers an exact topic only to its own subscribers, with payload and topic', () => {
		const seen: [unknown, string][] = [];
		bus.on('terminal.ab.status', (payload, topic) => seen.push([payload, topic]));
		bus.emit('terminal.cd.status', status('cd'));
		bus.emit('terminal.ab.output', output('ab'));
		expect(seen).toEqual([]);

		const payload = status('ab');
		bus.emit('terminal.ab.status', payload);
		expect(seen).toEqual([[payload, 'terminal.ab.status']]);
		expect(seen[0]?.[0]).toBe(payload);
		expect(errors).toEqual([]);
	});

	it('matches `terminal.*.status` against one segment only, passing the real topic', () => {
		const seen: string[] = [];
		bus.on('terminal.*.status', (payload, topic) => seen.push(`${topic}=${payload.terminalId}`));
		bus.emit('terminal.ab.status', status('ab'));
		bus.emit('terminal.ab.output', output('ab'));
		bus.emit('terminal.a.b.status', status('a.b'));
		bus.emit('engine.stopped', { at: 1 });
		bus.emit('terminal.cd.status', status('cd'));
		expect(seen).toEqual(['terminal.ab.status=ab', 'terminal.cd.status=cd']);
	});

	it('unsubscribes an exact subscription', () => {
		let calls = 0;
		const off = bus.on('terminal.ab.status', () => calls++);
		bus.emit('terminal.ab.status', status('ab'));
		off();
		bus.emit('terminal.ab.status', status('ab'));
		expect(calls).toBe(1);
	});

	it('unsubscribes a pattern subscription', () => {
		let calls = 0;
		const off = bus.on('terminal.*.status', () => calls++);
		bus.emit('terminal.ab.status', status('ab'));
		off();
		bus.emit('terminal.ab.status', status('ab'));
		expect(calls).toBe(1);
	});

	it('unsubscribes only the subscription it was returned for, even for the same handler', () => {
		let calls = 0;
		const handler = () => calls++;
		const offFirst = bus.on('terminal.ab.status', handler);
		bus.on('terminal.ab.status', handler);
		const offPattern = bus.on('terminal.*.status', handler);
		bus.on('terminal.*.status', handler);
		offFirst();
		offPattern();
		bus.emit('terminal.ab.status', status('ab'));
		expect(calls).toBe(2);
	});

	it('calling an unsubscribe twice is harmless', () => {
		let calls = 0;
		const off = bus.on('terminal.ab.status', () => calls++);
		bus.on('terminal.ab.status', () => calls++);
		off();
		off();
		bus.emit('terminal.ab.status', status('ab'));
		expect(calls).toBe(1);
	});

	it('onAny sees every event in order, with its topic, until unsubscribed', () => {
		const seen: string[] = [];
		const off = bus.onAny((topic) => seen.push(topic));
		bus.emit('terminal.ab.status', status('ab'));
		bus.emit('terminal.ab.output', output('ab'));
		bus.emit('terminal.a.b.status', status('a.b'));
		bus.emit('engine.started', { backend: 'tmux', home: '/h', pid: 1, at: 1 });
		bus.emit('engine.warning', { message: 'm', at: 1 });
		off();
		bus.emit('engine.stopped', { at: 2 });
		expect(seen).toEqual([
			'terminal.ab.status',
			'terminal.ab.output',
			'terminal.a.b.status',
			'engine.started',
			'engine.warning',
		]);
	});

	it('onAny receives the payload object itself', () => {
		const payloads: unknown[] = [];
		bus.onAny((_topic, payload) => payloads.push(payload));
		const payload = output('ab', 'hello');
		bus.emit('terminal.ab.output', payload);
		expect(payloads).toEqual([payload]);
		expect(payloads[0]).toBe(payload);
	});

	it('reports a throwing exact handler with its topic and still runs every other handler', () => {
		const ran: string[] = [];
		const boom = new Error('boom');
		bus.on('terminal.ab.status', () => {
			ran.push('exact-1');
			throw boom;
		});
		bus.on('terminal.ab.status', () => ran.push('exact-2'));
		bus.on('terminal.*.status', () => ran.push('pattern'));
		bus.onAny(() => ran.push('any'));

		expect(() => bus.emit('terminal.ab.status', status('ab'))).not.toThrow();
		expect(ran).toEqual(expect.arrayContaining(['exact-1', 'exact-2', 'pattern', 'any']));
		expect(ran).toHaveLength(4);
		expect(errors).toEqual([{ error: boom, topic: 'terminal.ab.status' }]);
	});

	it('reports a throwing pattern handler with the emitted topic and still runs the others', () => {
		const ran: string[] = [];
		const boom = new Error('pattern boom');
		bus.on('terminal.*.status', () => {
			throw boom;
		});
		bus.on('terminal.*.status', () => ran.push('pattern-2'));
		bus.on('terminal.cd.status', () => ran.push('exact'));
		bus.onAny(() => ran.push('any'));

		bus.emit('terminal.cd.status', status('cd'));
		expect(ran.sort()).toEqual(['any', 'exact', 'pattern-2']);
		expect(errors).toEqual([{ error: boom, topic: 'terminal.cd.status' }]);
	});

	it('reports a throwing onAny handler and keeps delivering later events', () => {
		let calls = 0;
		bus.onAny((topic) => {
			if (topic === 'engine.warning') throw 'not an Error';
		});
		bus.on('engine.warning', () => calls++);
		bus.emit('engine.warning', { message: 'm', at: 1 });
		bus.emit('engine.warning', { message: 'm', at: 2 });
		expect(calls).toBe(2);
		expect(errors).toEqual([
			{ error: 'not an Error', topic: 'engine.warning' },
			{ error: 'not an Error', topic: 'engine.warning' },
		]);
	});

	it('emitting a topic nobody listens to does nothing', () => {
		expect(() => bus.emit('engine.stopped', { at: 1 })).not.toThrow();
		expect(errors).toEqual([]);
	});
});
