import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { followEvents, requestEngine } from '../api/client.js';
import { resolvePaths } from '../config.js';
import { CaoError, oneLine } from '../errors.js';
import { assertTerminalId, profileNamePattern, terminalIdPattern } from '../names.js';
import { createOrchestration } from './orchestration.js';

type ToolResult = { content: { type: 'text'; text: string }[]; isError?: boolean };

/** A tool's answer; a failure is an answer too (the agent reads it), flagged as an error. */
const answer = async (work: () => Promise<string>): Promise<ToolResult> => {
	try {
		return { content: [{ type: 'text', text: await work() }] };
	} catch (error) {
		return { content: [{ type: 'text', text: oneLine(error) }], isError: true };
	}
};

/**
 * `cao-tui mcp-server`: the MCP server (stdio) each agent starts. It knows its agent's terminal
 * from CAO_TERMINAL_ID and works through the engine's control socket. Stdout is the protocol's:
 * nothing else is printed there.
 */
export const runMcpServer = async (): Promise<void> => {
	const callerId = process.env.CAO_TERMINAL_ID;
	if (!callerId) throw new CaoError('mcp-server runs inside an agent terminal: CAO_TERMINAL_ID is not set');
	assertTerminalId(callerId);
	const { socket } = resolvePaths();
	const orchestration = createOrchestration(
		{
			request: (method, path, body) => requestEngine(socket, method, path, body),
			follow: (onEvent) => followEvents(socket, onEvent),
		},
		callerId,
	);
	const server = new McpServer({ name: 'cao', version: '0.1.0' });
	server.registerTool(
		'handoff',
		{
			description:
				'Start a worker agent with the given profile (e.g. developer, reviewer) in your session, give it the message, wait until it has finished, and return its answer. The worker is closed afterwards.',
			inputSchema: {
				agent_profile: z
					.string()
					.regex(profileNamePattern, 'a profile name: letters, digits, - and _')
					.describe('Profile of the worker, e.g. developer'),
				message: z.string().describe('The task; the worker sees nothing else'),
				timeout: z.number().int().positive().max(86_400).default(600).describe('Seconds to wait'),
			},
		},
		({ agent_profile, message, timeout }) =>
			answer(() => orchestration.handoff(agent_profile, message, timeout)),
	);
	server.registerTool(
		'assign',
		{
			description:
				'Start a worker agent with the given profile and give it the message; returns its terminal id at once. The worker sends its results back to you with send_message.',
			inputSchema: {
				agent_profile: z
					.string()
					.regex(profileNamePattern, 'a profile name: letters, digits, - and _')
					.describe('Profile of the worker, e.g. developer'),
				message: z.string().describe('The task; the worker sees nothing else'),
			},
		},
		({ agent_profile, message }) =>
			answer(async () => `worker ${await orchestration.assign(agent_profile, message)} started`),
	);
	server.registerTool(
		'send_message',
		{
			description:
				"Send a message to another agent's terminal; it is delivered when that agent is ready for input. By default it goes to the agent that started you.",
			inputSchema: {
				message: z.string().describe('The message'),
				receiver_id: z
					.string()
					.regex(terminalIdPattern, 'a terminal id: 8 hex digits')
					.optional()
					.describe('Terminal id of the receiver (default: the agent that started you)'),
			},
		},
		({ message, receiver_id }) => answer(() => orchestration.sendMessage(message, receiver_id)),
	);
	const transport = new StdioServerTransport();
	await server.connect(transport);
	reportToolsListed(transport, () =>
		requestEngine(socket, 'POST', `/terminals/${callerId}/tools`, {}).catch(() => {}),
	);
};

/**
 * Calls `report` once, when the agent first asks for the tool list: from then on the agent has
 * the tools, and the engine may hand it work that needs them (see InitializeContext.waitForCaoTools).
 * An engine out of reach only loses the report.
 */
const reportToolsListed = (transport: StdioServerTransport, report: () => Promise<unknown>) => {
	const handle = transport.onmessage;
	transport.onmessage = (message) => {
		handle?.(message);
		if (!('method' in message) || message.method !== 'tools/list') return;
		transport.onmessage = handle;
		void report();
	};
};
