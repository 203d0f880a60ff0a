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

const builtins: readonly Provider[] = [
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
];

export type ProviderLookup = {
	names(): string[];
	/** The provider called `name`; one line naming the known ones when there is none. */
	get(name: string): Provider;
};

/** The built-in providers and `extra` ones (a benchmark's peer), looked up by name. */
export const createProviderLookup = (extra: readonly Provider[] = []): ProviderLookup => {
	const providers = new Map([...builtins, ...extra].map((provider) => [provider.name, provider]));
	const names = () => [...providers.keys()];
	return {
		names,
		get(name) {
			const provider = providers.get(name);
			if (!provider) throw new ValidationError(`unknown provider '${name}' (known: ${names().join(', ')})`);
			return provider;
		},
	};
};

export const defaultProviders = createProviderLookup();

export const providerNames = defaultProviders.names;
export const getProvider = defaultProviders.get;
