import { ValidationError } from '../errors.js';
import { fakeProvider } from './fake.js';
import { shellProvider } from './shell.js';
import type { Provider } from './types.js';

const providers = new Map<string, Provider>([
	[shellProvider.name, shellProvider],
	[fakeProvider.name, fakeProvider],
]);

export const providerNames = (): string[] => [...providers.keys()];

export const getProvider = (name: string): Provider => {
	const provider = providers.get(name);
	if (!provider) {
		throw new ValidationError(`unknown provider '${name}' (known: ${providerNames().join(', ')})`);
	}
	return provider;
};
