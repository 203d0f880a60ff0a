import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { requestEngine } from '../../source/api/client.js';
import type { TerminalRecord } from '../../source/engine/store/terminal-repository.js';
import { replyInstruction } from '../../source/mcp/orchestration.js';
import { cliPath, runCli, startCli } from '../helpers/cli.js';
import { createSandbox, describeEachBackend, type Sandbox, windowNames } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait-for.js';

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean };

describeEachBackend('cao-tui mcp-server, spoken to over stdio as an agent does', (backend) => {
	let sandbox: Sandbox;
	let engine: ReturnType<typeof startCli>;
	const clients: Client[] = [];
	const env = () => ({ ...sandbox.env, FAKE_AGENT_THINK_MS: '200' }) as Record<string, string>;
	const api = (method: string, path: string, body?: unknown) =>
		requestEngine(sandbox.paths.socket, method, path, body);

	beforeEach(async () => {
		sandbox = createSandbox(backend);
		engine = startCli(['--no-ui'], env());
		await waitFor(() => engine.lines.length > 0, { what: 'engine.started' });
		const profile = join(sandbox.home, 'tester.md');
		writeFileSync(profile, '---\nname: tester\nprovider: fake\n---\nYou test.\n');
		expect((await runCli(['profile', 'install', profile], env())).code).toBe(0);
	});
	afterEach(async () => {
		for (const client of clients.splice(0)) await client.close();
		engine.child.kill('SIGTERM');
		await engine.exited;
		sandbox.dispose();
	});

	/** The MCP server of the agent in terminal `terminalId`, as that agent's CLI starts it. */
	const connect = async (terminalId: string) => {
		const client = new Client({ name: 'test-agent', version: '1.0.0' });
		await client.connect(
			new StdioClientTransport({
				command: process.execPath,
				args: [cliPath, 'mcp-server'],
				env: { ...env(), CAO_TERMINAL_ID: terminalId },
			}),
		);
		clients.push(client);
		return client;
	};
	const tool = async (client: Client, name: string, args: Record<string, unknown>) =>
		(await client.callTool({ name, arguments: args })) as ToolResult;
	const supervisor = async () =>
		(await api('POST', '/terminals', { provider: 'fake', session: 'team' })) as TerminalRecord;

	it('offers handoff, assign and send_message; handoff returns the worker’s reply and closes it', async () => {
		const boss = await supervisor();
		const toolsListed = () => engine.events().filter((event) => event.topic === `terminal.${boss.id}.tools`);
		const client = await connect(boss.id);
		expect((await client.listTools()).tools.map((entry) => entry.name).sort()).toEqual([
			'assign',
			'handoff',
			'send_message',
		]);
		// The engine hears that this agent has cao's tools now (Claude Code's initialize waits for it).
		await waitFor(() => toolsListed().length === 1, { what: 'terminal.ID.tools' });
		await client.listTools();
		const result = await tool(client, 'handoff', { agent_profile: 'tester', message: 'write hello world' });
		expect(result).toEqual({ content: [{ type: 'text', text: 'Echo: write hello world' }] });
		expect(toolsListed(), 'reported once, on the first listing').toHaveLength(1);
		// The worker ran in the supervisor's session and is gone.
		expect(((await api('GET', '/terminals')) as TerminalRecord[]).map((record) => record.id)).toEqual([
			boss.id,
		]);
		if (backend === 'tmux')
			expect(windowNames(sandbox).filter((name) => name.startsWith('tester-'))).toEqual([]);
	});

	it('assign returns at once; the worker’s send_message reaches the supervisor only when it is idle', async () => {
		const boss = await supervisor();
		const client = await connect(boss.id);
		const assigned = await tool(client, 'assign', { agent_profile: 'tester', message: 'count the files' });
		const workerId = /^worker ([0-9a-f]{8}) started$/.exec(assigned.content[0]?.text ?? '')?.[1] ?? '';
		const worker = (await api('GET', `/terminals/${workerId}`)) as TerminalRecord;
		expect(worker).toMatchObject({ session: boss.session, callerId: boss.id, profile: 'tester' });
		await waitFor(
			async () =>
				((await api('GET', `/terminals/${workerId}/output?mode=last`)) as { output: string }).output ===
				`Echo: count the files ${replyInstruction(boss.id)}`,
			{ what: 'the worker’s turn' },
		);

		// The supervisor is busy (a question of its own on screen) when the worker reports back.
		await api('POST', `/terminals/${boss.id}/input`, { text: '!ask' });
		const statusOf = async () => ((await api('GET', `/terminals/${boss.id}`)) as TerminalRecord).lastStatus;
		await waitFor(async () => (await statusOf()) === 'waiting_user_answer', { what: 'the question' });
		const workerClient = await connect(workerId);
		const sent = await tool(workerClient, 'send_message', { message: 'there are 3 files' });
		expect(sent.content[0]?.text).toMatch(new RegExp(`^message \\d+ queued for ${boss.id}`));
		const inbox = async (status: string) =>
			((await api('GET', `/inbox/${boss.id}?status=${status}`)) as unknown[]).length;
		expect(await inbox('pending')).toBe(1);
		expect(await inbox('delivered')).toBe(0);
		// Answered, the supervisor finishes its turn; then, idle, it gets the message.
		await api('POST', `/terminals/${boss.id}/keys`, { keys: ['y'] });
		await waitFor(
			async () =>
				((await api('GET', `/terminals/${boss.id}/output?mode=last`)) as { output: string }).output ===
				`Echo: there are 3 files [Message from terminal ${workerId}. Use send_message to reply.]`,
			{ what: 'the message turn of the supervisor' },
		);
		expect(await inbox('delivered')).toBe(1);
		const screen = ((await api('GET', `/terminals/${boss.id}/output`)) as { output: string }).output;
		// After its own turn, not in the middle of it.
		expect(screen.indexOf('Permission granted')).toBeLessThan(screen.indexOf('Echo: there are 3 files'));
		expect(screen.split('there are 3 files').length - 1).toBe(2);
	});

	it('refuses names of a bad shape: tool arguments and CAO_TERMINAL_ID', async () => {
		const boss = await supervisor();
		const client = await connect(boss.id);
		for (const [name, args] of [
			['handoff', { agent_profile: '../../etc/passwd', message: 'x' }],
			['assign', { agent_profile: 'a/b', message: 'x' }],
			['send_message', { message: 'x', receiver_id: '../x' }],
		] as const) {
			const result = await tool(client, name, args);
			expect(result.isError, name).toBe(true);
			expect(result.content[0]?.text, name).toMatch(/a profile name|a terminal id/);
		}
		expect(((await api('GET', '/terminals')) as unknown[]).length).toBe(1);
		const stray = await runCli(['mcp-server'], { ...env(), CAO_TERMINAL_ID: '../x' });
		expect(stray.code).toBe(1);
		expect(stray.stderr).toBe("cao-tui: invalid terminal id '../x' (8 hex digits)\n");
	});

	it('answers tool errors as tool results, in one line', async () => {
		const boss = await supervisor();
		const client = await connect(boss.id);
		expect(await tool(client, 'handoff', { agent_profile: 'nobody', message: 'x' })).toEqual({
			content: [{ type: 'text', text: "no profile 'nobody' (see cao-tui profile list)" }],
			isError: true,
		});
		expect(await tool(client, 'send_message', { message: 'hello' })).toMatchObject({
			content: [{ text: 'no receiver: this terminal was not started by another; give receiver_id' }],
			isError: true,
		});
		// A worker stuck on a question: the tool answers with its id, and it is left running.
		const stuck = await tool(client, 'handoff', { agent_profile: 'tester', message: '!ask' });
		expect(stuck.isError).toBe(true);
		const workerId = /^worker ([0-9a-f]{8}) \(tester\) is waiting for an answer; it is left running/.exec(
			stuck.content[0]?.text ?? '',
		)?.[1];
		expect(workerId, stuck.content[0]?.text).toBeDefined();
		expect(((await api('GET', `/terminals/${workerId}`)) as TerminalRecord).lastStatus).toBe(
			'waiting_user_answer',
		);
	});
});
