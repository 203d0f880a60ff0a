import { readFile } from 'node:fs/promises';
import { CaoError } from '../errors.js';
import { getProvider } from '../providers/registry.js';

/** A file's text, or standard input for `-`; a missing file is one clear line. */
const readInput = async (file: string): Promise<string> => {
	if (file === '-') {
		const chunks: Buffer[] = [];
		for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
		return Buffer.concat(chunks).toString('utf8');
	}
	try {
		return await readFile(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new CaoError(
			code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? 'error'})`,
		);
	}
};

/** `cao-tui detect`: what the provider makes of a screen or raw stream, with its evidence. */
export const detectFile = async (options: {
	provider: string;
	file: string;
	profile: string | null;
	afterInput: boolean;
}): Promise<string> => {
	const provider = getProvider(options.provider);
	const detection = provider.detect(await readInput(options.file), {
		afterInput: options.afterInput,
		profile: options.profile,
	});
	return JSON.stringify({ status: detection.status, rule: detection.rule, line: detection.line });
};

/** `cao-tui extract`: the agent's last reply on a screen, as plain text. */
export const extractFile = async (options: { provider: string; file: string }): Promise<string> =>
	getProvider(options.provider).extractLastReply(await readInput(options.file));
