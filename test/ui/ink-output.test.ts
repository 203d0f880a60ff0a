import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { fastOutputGet, patchedInkVersion } from '../../source/ui/ink-output.js';
import { randomFrom } from '../helpers/seeded-random.js';

type Transformer = (line: string, index: number) => string;
type InkOutput = {
	write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
	clip(clip: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
	unclip(): void;
	get(): { output: string; height: number };
};

const require = createRequire(import.meta.url);
const inkBuild = dirname(require.resolve('ink'));
const { version } = require(join(inkBuild, '..', 'package.json')) as { version: string };
const { default: Output } = (await import(pathToFileURL(join(inkBuild, 'output.js')).href)) as {
	default: new (options: { width: number; height: number }) => InkOutput;
};
const inkGet = Output.prototype.get;
const colours = new Chalk({ level: 3 });

describe('the faster Output.get for Ink', () => {
	it(`is written for the Ink installed (${patchedInkVersion})`, () => {
		expect(version).toBe(patchedInkVersion);
	});

	it('makes the very text Ink makes, on 400 random frames (styles, wide characters, clips)', () => {
		const random = randomFrom(20_261_124);
		const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
		const styles = [
			(text: string) => text,
			colours.red,
			colours.bold,
			colours.dim,
			colours.inverse,
			colours.bgBlue.white,
			colours.cyan.bold,
			(text: string) => colours.green(`a${colours.underline(text)}b`),
		];
		const words = ['plain', 'wide 中文', 'emoji 🙂 ok', '  spaced  ', '✢ Working…', 'x', '╭──╮', 'tab\tin'];
		const text = () =>
			Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
				Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(styles)(pick(words))).join(' '),
			).join('\n');
		const transformers: Transformer[][] = [
			[],
			[(line) => colours.bold(line)],
			[(line, index) => `${index}${line}`],
		];
		for (let frame = 0; frame < 400; frame++) {
			const width = 20 + Math.floor(random() * 60);
			const height = 5 + Math.floor(random() * 20);
			const output = new Output({ width, height });
			for (let operation = 0; operation < 12; operation++) {
				const roll = random();
				if (roll < 0.15)
					output.clip({
						x1: Math.floor(random() * width),
						x2: Math.floor(random() * width),
						...(random() < 0.5
							? { y1: Math.floor(random() * height), y2: Math.floor(random() * height) }
							: {}),
					});
				else if (roll < 0.25) output.unclip();
				else
					output.write(Math.floor(random() * width) - 3, Math.floor(random() * height) - 1, text(), {
						transformers: pick(transformers),
					});
			}
			expect(fastOutputGet.call(output as never)).toEqual(inkGet.call(output));
		}
	});
});
