import { z } from 'zod';
import type { Engine } from '../engine/engine.js';
import { messageStatuses } from '../engine/store/inbox-repository.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { describeIssue } from '../frontmatter.js';
import { assertFlowName, assertTerminalId, terminalIdPattern } from '../names.js';

/** What a route answers: a JSON body, or a stream of events (the response stays open). */
export type Reply = { status: number; body: unknown } | { stream: 'events' };

export type Request = { method: string; path: string[]; query: URLSearchParams; body: unknown };

export type RouteContext = { engine: Engine; info: () => Record<string, unknown> };

const envVars = z.record(
	z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names: letters, digits, _'),
	z.string(),
);

const createTerminal = z.strictObject({
	profile: z.string().min(1).optional(),
	provider: z.string().min(1).optional(),
	session: z.string().min(1).optional(),
	workingDirectory: z.string().min(1).optional(),
	env: envVars.optional(),
	args: z.array(z.string()).optional(),
	/** The terminal that asks (a supervisor), for replies. */
	callerId: z.string().regex(terminalIdPattern, 'a terminal id: 8 hex digits').optional(),
	/** The provider when neither `provider` nor the profile names one (a supervisor's own). */
	defaultProvider: z.string().min(1).optional(),
});
const input = z.strictObject({ text: z.string() });
const keys = z.strictObject({ keys: z.array(z.string().min(1)).min(1) });
const message = z.strictObject({
	senderId: z.string().min(1),
	receiverId: z.string().regex(terminalIdPattern, 'a terminal id: 8 hex digits'),
	message: z.string(),
});
const inboxStatus = z.enum(messageStatuses);

/** The request body as `schema` wants it, or one line saying which field is wrong. */
const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
	const result = schema.safeParse(body ?? {});
	if (!result.success) throw new ValidationError(describeIssue(result.error.issues));
	return result.data;
};

const ok = (body: unknown, status = 200): Reply => ({ status, body });

/** Routes of the control API, by method and path segments. */
export const route = async ({ engine, info }: RouteContext, request: Request): Promise<Reply> => {
	const { method, path, query } = request;
	const [resource, id, action] = path;
	const where = `${method} /${path.join('/')}`;

	if (resource === 'health' && method === 'GET' && !id) return ok(info());
	if (resource === 'events' && method === 'GET' && !id) return { stream: 'events' };

	if (resource === 'sessions') {
		if (method === 'GET' && !id) return ok(await engine.sessions.list());
		if (method === 'DELETE' && id && !action) return ok({ removed: await engine.sessions.remove(id) });
	}

	if (resource === 'terminals') {
		if (id !== undefined) assertTerminalId(id);
		if (!id) {
			if (method === 'GET') return ok(engine.terminals.list());
			if (method === 'POST') {
				return ok(await engine.launch(parse(createTerminal, request.body)), 201);
			}
		} else if (!action) {
			if (method === 'GET') return ok(engine.terminals.get(id));
			if (method === 'DELETE') {
				// ?exit=1: the agent is asked to quit first.
				await engine.terminals.remove(id, { exit: query.get('exit') === '1' });
				return ok({ removed: id });
			}
		} else if (method === 'POST' && action === 'input') {
			await engine.terminals.sendInput(id, parse(input, request.body).text);
			return ok({ sent: true });
		} else if (method === 'POST' && action === 'keys') {
			await engine.terminals.sendKeys(id, parse(keys, request.body).keys);
			return ok({ sent: true });
		} else if (method === 'POST' && action === 'tools') {
			parse(z.strictObject({}), request.body);
			engine.terminals.toolsListed(id);
			return ok({ noted: true });
		} else if (method === 'GET' && action === 'output') {
			const mode = query.get('mode') ?? 'full';
			if (mode !== 'full' && mode !== 'last')
				throw new ValidationError(`mode is full or last, not '${mode}'`);
			return ok({ output: await engine.terminals.getOutput(id, mode) });
		} else if (method === 'GET' && action === 'status') {
			const record = engine.terminals.get(id);
			return ok(engine.monitor.getStatus(id) ?? { status: record.lastStatus });
		}
	}

	if (resource === 'inbox' && !action) {
		if (method === 'POST' && !id) {
			const { senderId, receiverId, message: body } = parse(message, request.body);
			return ok(engine.inbox.send(senderId, receiverId, body), 201);
		}
		if (method === 'GET' && id) {
			engine.terminals.get(assertTerminalId(id));
			return ok(engine.inbox.list(id, parse(inboxStatus, query.get('status') ?? 'pending')));
		}
	}

	if (resource === 'flows' && id && action === 'run' && method === 'POST') {
		// Answered at once; the outcome comes as flow.NAME.* events carrying this run's id.
		// Only a registered flow runs, as its file says: nothing in the request may add a script,
		// a file or a prompt.
		parse(z.strictObject({}), request.body);
		return ok({ started: id, runId: engine.flows.startRun(assertFlowName(id)) }, 202);
	}

	throw new NotFoundError(`no route ${where}`);
};
