import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/*
 * A model server on loopback that real agent CLIs talk to instead of their vendors: the Anthropic
 * Messages API (Claude Code), OpenAI Responses (Codex) and Chat Completions (OpenCode), and Gemini
 * (Gemini CLI), all streamed as SSE. It also refuses to be an HTTP(S) proxy for any other host, so a
 * CLI pointed at it through HTTPS_PROXY reaches nothing beyond this machine.
 * After ../shared/real-clis/fake-model-server.mjs; replies here are scripted by the test.
 */

/** How one reply streams: after `firstTokenMs`, `chunks` pieces `chunkMs` apart, with an optional pause. */
export type ScriptedReply = {
	text: string;
	firstTokenMs?: number;
	chunks?: number;
	chunkMs?: number;
	/** A pause of `pauseMs` after this many chunks (a model that stalls mid-reply). */
	pauseAfterChunk?: number;
	pauseMs?: number;
	/** Instead of text, a call of this offered tool (Anthropic Messages API only). */
	toolCall?: { name: string; arguments: Record<string, unknown> };
};

/** What the request carries besides the prompt: the tools it offers, the result of a tool call. */
export type TurnContext = { tools: string[]; toolResult?: string };

/** A main-turn request the server answered, and when its stream began and ended. */
export type ServedTurn = {
	api: Api;
	prompt: string;
	/** Names of the tools the request offered the model. */
	tools: string[];
	text: string;
	startedAt: number;
	endedAt: number | null;
};

export type FakeModelServer = {
	port: number;
	url: string;
	/** Main-turn requests, in order (title and other side calls are left out). */
	turns: ServedTurn[];
	close(): Promise<void>;
};

type Api = 'anthropic' | 'responses' | 'chat' | 'gemini';
type Json = Record<string, unknown>;

const object = (value: unknown): Json =>
	value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const string = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Text parts of a message's content, in any of the APIs' shapes. */
const texts = (content: unknown): string[] => {
	if (typeof content === 'string') return [content];
	return array(content).flatMap((part) => {
		if (typeof part === 'string') return [part];
		const { type, text } = object(part);
		return typeof text === 'string' && (type === undefined || /text/.test(string(type))) ? [text] : [];
	});
};

// "<system-reminder>…", "<environment_context>…", "# AGENTS.md instructions": context the CLIs
// add as user messages, not what the user typed.
const isContext = (text: string) =>
	/^\s*(?:$|<(?:system-reminder|environment_context|user_instructions|permissions|INSTRUCTIONS|turn_aborted)|# AGENTS\.md instructions)/i.test(
		text,
	);

/** What the user typed last, as each API carries it. */
const lastUserText = (api: Api, body: Json): string => {
	let messages: Json[];
	if (api === 'gemini')
		messages = array(body.contents).map((content) => ({
			role: object(content).role ?? 'user',
			content: array(object(content).parts),
		}));
	else if (api === 'responses') {
		if (typeof body.input === 'string') return body.input;
		messages = array(body.input).map(object);
	} else messages = array(body.messages).map(object);
	for (const message of messages.reverse()) {
		if (message.role !== 'user') continue;
		const typed = texts(message.content).filter((text) => !isContext(text));
		if (typed.length > 0) return typed.at(-1) as string;
	}
	return '';
};

const systemText = (api: Api, body: Json): string => {
	if (api === 'anthropic') return texts(body.system).join('\n');
	if (api === 'responses') return string(body.instructions);
	if (api === 'gemini') return texts(object(body.systemInstruction).parts).join('\n');
	return array(body.messages)
		.map(object)
		.filter((message) => message.role === 'system' || message.role === 'developer')
		.flatMap((message) => texts(message.content))
		.join('\n');
};

// "You are a title generator…", "Generate a concise, sentence-case title…": a side call for the
// session's title.
const isTitleCall = (api: Api, body: Json) =>
	/title generator|generate a (?:brief|concise|short)[^.]*title/i.test(systemText(api, body).slice(0, 2000));

/** A JSON object in the shape a side call's schema asks for. */
const fromSchema = (schema: unknown): string => {
	const fields = Object.entries(object(object(schema).properties)).map(([key, value]) => {
		const { type, enum: choices } = object(value);
		if (key === 'title') return [key, 'Fake session title'];
		if (key === 'next_speaker') return [key, 'user'];
		if (Array.isArray(choices)) return [key, choices[0]];
		if (/bool/.test(string(type))) return [key, false];
		if (/num|int/.test(string(type))) return [key, 0];
		if (/array/.test(string(type))) return [key, []];
		return [key, 'fake'];
	});
	return JSON.stringify(Object.fromEntries(fields));
};

/** The structured-output schema a request asks for, if any. */
const schemaOf = (api: Api, body: Json): unknown => {
	if (api === 'anthropic') return object(body.output_config).format ?? body.output_format;
	if (api === 'responses') return object(object(body.text).format).schema;
	if (api === 'chat') return object(object(body.response_format).json_schema).schema;
	const config = object(body.generationConfig);
	return config.responseMimeType === 'application/json'
		? (config.responseJsonSchema ?? config.responseSchema ?? {})
		: undefined;
};

const split = (text: string, count: number): string[] => {
	const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
	const pieces: string[] = [];
	for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
	return pieces.length > 0 ? pieces : [''];
};

/** Writes one SSE event. */
const sse = (response: ServerResponse, data: unknown, event?: string) => {
	if (event) response.write(`event: ${event}\n`);
	response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
};

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
	const text = JSON.stringify(body);
	response.writeHead(status, {
		'content-type': 'application/json',
		'content-length': Buffer.byteLength(text),
	});
	response.end(text);
};

/** Anthropic's message stream: one content block (text, or a tool call), then the stop. */
const anthropicFrames = (
	response: ServerResponse,
	model: string,
	id: number,
	block: Json,
	deltaOf: (text: string) => Json,
	stopReason: string,
): Framing => ({
	open() {
		const usage = { input_tokens: 10, output_tokens: 1 };
		const message = { id: `msg_${id}`, type: 'message', role: 'assistant', model, content: [], usage };
		sse(response, { type: 'message_start', message }, 'message_start');
		sse(response, { type: 'content_block_start', index: 0, content_block: block }, 'content_block_start');
	},
	delta: (text) =>
		sse(response, { type: 'content_block_delta', index: 0, delta: deltaOf(text) }, 'content_block_delta'),
	close() {
		sse(response, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
		sse(
			response,
			{ type: 'message_delta', delta: { stop_reason: stopReason }, usage: { output_tokens: 12 } },
			'message_delta',
		);
		sse(response, { type: 'message_stop' }, 'message_stop');
	},
});

/** Frames of each API's stream: its opening events, one text delta, its closing events. */
type Framing = { open(): void; delta(text: string): void; close(text: string): void };

const framing = (api: Api, response: ServerResponse, model: string, id: number): Framing => {
	const now = () => Math.floor(Date.now() / 1000);
	if (api === 'anthropic')
		return anthropicFrames(
			response,
			model,
			id,
			{ type: 'text', text: '' },
			(text) => ({ type: 'text_delta', text }),
			'end_turn',
		);
	if (api === 'responses') {
		let sequence = 0;
		const event = (type: string, data: Json) =>
			sse(response, { type, sequence_number: sequence++, ...data }, type);
		const item = (text: string, status: string) => ({
			id: `msg_${id}`,
			type: 'message',
			status,
			role: 'assistant',
			content: text ? [{ type: 'output_text', text, annotations: [] }] : [],
		});
		const state = (status: string, output: unknown[]) => ({
			id: `resp_${id}`,
			object: 'response',
			created_at: now(),
			status,
			model,
			output,
			usage:
				status === 'completed'
					? {
							input_tokens: 10,
							input_tokens_details: { cached_tokens: 0 },
							output_tokens: 12,
							output_tokens_details: { reasoning_tokens: 0 },
							total_tokens: 22,
						}
					: null,
			error: null,
			incomplete_details: null,
		});
		const where = { item_id: `msg_${id}`, output_index: 0, content_index: 0 };
		return {
			open() {
				event('response.created', { response: state('in_progress', []) });
				event('response.output_item.added', { output_index: 0, item: item('', 'in_progress') });
				event('response.content_part.added', {
					...where,
					part: { type: 'output_text', text: '', annotations: [] },
				});
			},
			delta: (text) => event('response.output_text.delta', { ...where, delta: text }),
			close(text) {
				event('response.output_text.done', { ...where, text });
				event('response.content_part.done', {
					...where,
					part: { type: 'output_text', text, annotations: [] },
				});
				event('response.output_item.done', { output_index: 0, item: item(text, 'completed') });
				event('response.completed', { response: state('completed', [item(text, 'completed')]) });
			},
		};
	}
	if (api === 'chat') {
		const chunk = (delta: Json, finish: string | null) => ({
			id: `chatcmpl_${id}`,
			object: 'chat.completion.chunk',
			created: now(),
			model,
			choices: [{ index: 0, delta, finish_reason: finish }],
		});
		return {
			open: () => sse(response, chunk({ role: 'assistant', content: '' }, null)),
			delta: (text) => sse(response, chunk({ content: text }, null)),
			close() {
				sse(response, chunk({}, 'stop'));
				sse(response, {
					...chunk({}, null),
					choices: [],
					usage: { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22 },
				});
				sse(response, '[DONE]');
			},
		};
	}
	// Gemini: each event a candidate with the next piece; the last one says STOP.
	const candidate = (text: string, last: boolean) => ({
		candidates: [
			{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) },
		],
		...(last
			? { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 12, totalTokenCount: 22 } }
			: {}),
		modelVersion: model,
	});
	return {
		open() {},
		delta: (text) => sse(response, candidate(text, false)),
		close: () => sse(response, candidate('', true)),
	};
};

/** A complete (non-streamed) answer in each API's shape. */
const whole = (api: Api, model: string, id: number, text: string): unknown => {
	if (api === 'anthropic')
		return {
			id: `msg_${id}`,
			type: 'message',
			role: 'assistant',
			model,
			content: [{ type: 'text', text }],
			stop_reason: 'end_turn',
			usage: { input_tokens: 10, output_tokens: 12 },
		};
	if (api === 'responses')
		return {
			id: `resp_${id}`,
			object: 'response',
			status: 'completed',
			model,
			output: [
				{
					id: `msg_${id}`,
					type: 'message',
					status: 'completed',
					role: 'assistant',
					content: [{ type: 'output_text', text, annotations: [] }],
				},
			],
		};
	if (api === 'chat')
		return {
			id: `chatcmpl_${id}`,
			object: 'chat.completion',
			model,
			choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
			usage: { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22 },
		};
	return { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, finishReason: 'STOP' }] };
};

/** The tools a request offers, and the text of a tool result it ends with (Anthropic's shapes). */
const turnContext = (api: Api, body: Json): TurnContext => {
	// Anthropic and Responses: {name}; Chat: {function: {name}}; Gemini: {functionDeclarations:
	// [{name}]}; Codex groups an MCP server's tools: {type: 'namespace', name: 'mcp__cao', tools}.
	const tools = array(body.tools)
		.flatMap((tool) => [tool, ...array(object(tool).functionDeclarations), ...array(object(tool).tools)])
		.map((tool) => string(object(tool).name) || string(object(object(tool).function).name))
		.filter(Boolean);
	if (api !== 'anthropic') return { tools };
	const last = object(array(body.messages).at(-1));
	const result = array(last.content)
		.map(object)
		.find((part) => part.type === 'tool_result');
	return result ? { tools, toolResult: texts(result.content).join('\n') } : { tools };
};

/** A streamed Anthropic message that calls a tool. */
const toolUse = (
	response: ServerResponse,
	model: string,
	id: number,
	call: NonNullable<ScriptedReply['toolCall']>,
) => {
	response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	const frames = anthropicFrames(
		response,
		model,
		id,
		{ type: 'tool_use', id: `toolu_${id}`, name: call.name, input: {} },
		(json) => ({ type: 'input_json_delta', partial_json: json }),
		'tool_use',
	);
	frames.open();
	frames.delta(JSON.stringify(call.arguments));
	frames.close('');
	response.end();
};

export type FakeModelServerOptions = {
	/** The reply to a prompt; by default `FAKE-REPLY: ` and the prompt's first 40 characters. */
	reply?: (prompt: string, turn: TurnContext) => ScriptedReply | undefined;
};

export const defaultReply = (prompt: string): ScriptedReply => ({
	text: `FAKE-REPLY: ${prompt.replace(/\s+/g, ' ').trim().slice(0, 40)}`,
});

export const startFakeModelServer = async (
	options: FakeModelServerOptions = {},
): Promise<FakeModelServer> => {
	const turns: ServedTurn[] = [];
	let requests = 0;

	const answer = async (api: Api, body: Json, model: string, stream: boolean, response: ServerResponse) => {
		const id = ++requests;
		const schema = schemaOf(api, body);
		if (schema !== undefined) return sendJson(response, 200, whole(api, model, id, fromSchema(schema)));
		const prompt = lastUserText(api, body);
		const title = isTitleCall(api, body);
		const context = turnContext(api, body);
		const script: ScriptedReply = title
			? { text: 'Fake session title' }
			: (options.reply?.(prompt, context) ?? defaultReply(prompt));
		const turn: ServedTurn = {
			api,
			prompt,
			tools: context.tools,
			text: script.text,
			startedAt: Date.now(),
			endedAt: null,
		};
		if (!title) turns.push(turn);
		await delay(script.firstTokenMs ?? 1000);
		if (script.toolCall) {
			if (api !== 'anthropic' || !stream)
				throw new Error(`scripted tool calls are for streamed ${api} requests`);
			toolUse(response, model, id, script.toolCall);
			turn.endedAt = Date.now();
			return;
		}
		if (!stream) {
			turn.endedAt = Date.now();
			return sendJson(response, 200, whole(api, model, id, script.text));
		}
		response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
		const frames = framing(api, response, model, id);
		frames.open();
		const pieces = split(script.text, script.chunks ?? 3);
		for (const [index, piece] of pieces.entries()) {
			if (index > 0)
				await delay(index === script.pauseAfterChunk ? (script.pauseMs ?? 0) : (script.chunkMs ?? 200));
			frames.delta(piece);
		}
		frames.close(script.text);
		turn.endedAt = Date.now();
		response.end();
	};

	const route = async (request: IncomingMessage, response: ServerResponse, raw: string) => {
		const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
		// A request for another host came through us as a proxy: refuse it.
		if (!/^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/.test(url.host)) {
			return sendJson(response, 403, { error: 'offline: blocked by the fake model server' });
		}
		let body: Json;
		try {
			body = object(raw ? JSON.parse(raw) : {});
		} catch {
			return sendJson(response, 400, { error: 'bad JSON' });
		}
		const path = url.pathname.replace(/\/+$/, '');
		const model = string(body.model) || 'fake-model';
		const post = request.method === 'POST';
		if (post && path.endsWith('/messages/count_tokens')) return sendJson(response, 200, { input_tokens: 10 });
		if (post && path.endsWith('/messages'))
			return answer('anthropic', body, model, body.stream === true, response);
		if (post && path.endsWith('/responses'))
			return answer('responses', body, model, body.stream === true, response);
		if (post && path.endsWith('/chat/completions'))
			return answer('chat', body, model, body.stream === true, response);
		const gemini = /\/models\/([^/:]+):(\w+)$/.exec(path);
		if (post && gemini) {
			const method = gemini[2];
			if (method === 'countTokens') return sendJson(response, 200, { totalTokens: 10 });
			if (method === 'streamGenerateContent' || method === 'generateContent')
				return answer('gemini', body, gemini[1] ?? model, method === 'streamGenerateContent', response);
			return sendJson(response, 200, {});
		}
		if (path.endsWith('/models'))
			return sendJson(response, 200, {
				object: 'list',
				data: [
					{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake', display_name: 'Fake Model' },
				],
				models: [],
			});
		return sendJson(response, 200, {});
	};

	const server = createServer((request, response) => {
		// A CLI killed mid-stream resets its connection: that ends its turn, not the test run.
		request.on('error', () => {});
		response.on('error', () => {});
		const parts: Buffer[] = [];
		request.on('data', (part: Buffer) => parts.push(part));
		request.on('end', () => {
			route(request, response, Buffer.concat(parts).toString('utf8')).catch((error: unknown) => {
				if (!response.headersSent) sendJson(response, 500, { error: String(error) });
				else response.end();
			});
		});
	});
	// HTTPS through a proxy starts with CONNECT: refuse it, so nothing leaves the machine.
	server.on('connect', (request: IncomingMessage, socket: Duplex) => {
		// The socket is ours once CONNECT came: its reset is nobody else's to handle.
		socket.on('error', () => {});
		socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
	});
	server.on('clientError', (_error, socket) => socket.destroy());
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		port,
		url: `http://127.0.0.1:${port}`,
		turns,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
};
