import { readFile } from 'node:fs/promises';
import { CaoError } from '../errors.js';
import { type Flow, parseFlow } from './flow.js';

/** Reads and checks a flow file; one line when it cannot be read or is malformed. */
export const loadFlow = async (file: string): Promise<Flow> => {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new CaoError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
	}
	return parseFlow(text, file);
};
