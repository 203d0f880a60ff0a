import { ValidationError } from '../errors.js';
import { claudeCodeProvider } from './claude-code.js';
import { codexProvider } from './codex.js';
import { copilotCliProvider } from './copilot-cli.js';
import { fakeProvider } from './fake.js';
import { geminiCliProvider } from './gemini-cli.js';
import { kimiCliProvider } from './kimi-cli.js';
import { kiroCliProvider } from './kiro-cli.js';
import { opencodeCliProvider } from './opencode-cli.js';
import { qCliProvider } from './q-cli.js';
import { shellProvider } from './shell.js';
import type { Provider } from './types.js';

const providers = new Map<string, Provider>(
	[
		claudeCodeProvider,
		codexProvider,
		geminiCliProvider,
		kiroCliProvider,
		qCliProvider,
		kimiCliProvider,
		copilotCliProvider,
		opencodeCliProvider,
		shellProvider,
		fakeProvider,
	].map((provider) => [provider.name, provider]),
);

export const providerNames = (): string[] => [...providers.keys()];

export const getProvider = (name: string): Provider => {
	const provider = providers.get(name);
	if (!provider) {
		throw new ValidationError(`unknown provider '${name}' (known: ${providerNames().join(', ')})`);
	}
	return provider;
};
