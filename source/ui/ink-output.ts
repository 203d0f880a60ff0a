import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
	ansiCodesToString,
	diffAnsiCodes,
	type StyledChar,
	styledCharsFromTokens,
	tokenize,
} from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

/*
 * Ink 6.8 turns each frame into text in `Output.get`: a grid of cell objects for the whole screen,
 * every line tokenized again, and an ANSI diff between every two cells. At 200×50 that is 15 ms a
 * frame, whatever changed: nearly all of a redraw. This `get` makes the same text (checked
 * against Ink's own on random frames in test/ui/ink-output.test.ts) with:
 * - tokenized lines and widths cached across frames (Ink's caches live for one frame);
 * - one shared blank cell instead of 10,000 new ones;
 * - a style diff only where the style changes along a row.
 * Ink 7 and later need Node 22; this stands in until the project moves to them.
 */

type Transformer = (line: string, index: number) => string;
type Clip = { x1?: number; x2?: number; y1?: number; y2?: number };
type Operation =
	| { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] }
	| { type: 'clip'; clip: Clip }
	| { type: 'unclip' };
type OutputInstance = { width: number; height: number; operations: Operation[] };
type Cell = StyledChar & { key?: string };

/** The Ink release whose Output this replaces; any other keeps its own. */
export const patchedInkVersion = '6.8.0';

const cacheLimit = 20_000;
const boundedCache = <V>() => {
	const entries = new Map<string, V>();
	return (key: string, make: (key: string) => V): V => {
		let value = entries.get(key);
		if (value === undefined) {
			if (entries.size >= cacheLimit) entries.clear();
			value = make(key);
			entries.set(key, value);
		}
		return value;
	};
};

const widthOf = boundedCache<number>();
const charsOf = boundedCache<Cell[]>();
const width = (text: string) => widthOf(text, stringWidth);
const widestLine = (text: string) => Math.max(0, ...text.split('\n').map(width));
const styledChars = (line: string) => charsOf(line, (text) => styledCharsFromTokens(tokenize(text)));

const blank: Cell = Object.freeze({
	type: 'char',
	value: ' ',
	fullWidth: false,
	styles: [],
	key: '',
}) as Cell;

/** What tells two cells' styles apart: equal keys, nothing to emit between them. */
const styleKey = (cell: Cell): string => {
	cell.key ??= cell.styles.map((style) => style.code).join('\u0000');
	return cell.key;
};

/** As ansi-tokenize's styledCharsToString, emitting a diff only where the style changes. */
const rowText = (row: readonly (Cell | undefined)[]): string => {
	let text = '';
	let previous: Cell | undefined;
	for (const cell of row) {
		if (cell === undefined) continue;
		if (previous === undefined) text += ansiCodesToString(cell.styles);
		else if (styleKey(previous) !== styleKey(cell))
			text += ansiCodesToString(diffAnsiCodes(previous.styles, cell.styles));
		text += cell.value;
		previous = cell;
	}
	if (previous && previous.styles.length > 0) text += ansiCodesToString(diffAnsiCodes(previous.styles, []));
	return text.trimEnd();
};

/** Ink 6.8's Output.get, line for line in what it does, with the savings above. */
export function fastOutputGet(this: OutputInstance): { output: string; height: number } {
	const output: (Cell | undefined)[][] = [];
	for (let y = 0; y < this.height; y++) output.push(new Array<Cell>(this.width).fill(blank));
	const clips: Clip[] = [];
	for (const operation of this.operations) {
		if (operation.type === 'clip') clips.push(operation.clip);
		if (operation.type === 'unclip') clips.pop();
		if (operation.type !== 'write') continue;
		const { text, transformers } = operation;
		let { x, y } = operation;
		let lines = text.split('\n');
		const clip = clips.at(-1);
		if (clip) {
			const clipHorizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
			const clipVertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
			const { x1 = 0, x2 = 0, y1 = 0, y2 = 0 } = clip;
			if (clipHorizontally && (x + widestLine(text) < x1 || x > x2)) continue;
			if (clipVertically && (y + lines.length < y1 || y > y2)) continue;
			if (clipHorizontally) {
				lines = lines.map((line) => {
					const from = x < x1 ? x1 - x : 0;
					const lineWidth = width(line);
					const to = x + lineWidth > x2 ? x2 - x : lineWidth;
					return sliceAnsi(line, from, to);
				});
				if (x < x1) x = x1;
			}
			if (clipVertically) {
				const from = y < y1 ? y1 - y : 0;
				const to = y + lines.length > y2 ? y2 - y : lines.length;
				lines = lines.slice(from, to);
				if (y < y1) y = y1;
			}
		}
		let offsetY = 0;
		for (const [index, raw] of lines.entries()) {
			const row = output[y + offsetY];
			// A text taller than the frame: the rows past its bottom are not drawn.
			if (!row) continue;
			const line = transformers.reduce((line, transformer) => transformer(line, index), raw);
			let offsetX = x;
			for (const character of styledChars(line)) {
				row[offsetX] = character;
				const characterWidth = Math.max(1, width(character.value));
				// A wide character's other columns: empty cells of its style, so nothing shows there.
				for (let extra = 1; extra < characterWidth; extra++)
					row[offsetX + extra] = { type: 'char', value: '', fullWidth: false, styles: character.styles };
				offsetX += characterWidth;
			}
			offsetY++;
		}
	}
	return { output: output.map(rowText).join('\n'), height: output.length };
}

/**
 * Puts `fastOutputGet` in place of Ink's Output.get when Ink is the release it was written for.
 * Returns whether it did.
 */
export const speedUpInkOutput = async (): Promise<boolean> => {
	const require = createRequire(import.meta.url);
	const inkEntry = require.resolve('ink');
	const { version } = require(join(dirname(inkEntry), '..', 'package.json')) as { version: string };
	if (version !== patchedInkVersion) return false;
	const { default: Output } = (await import(pathToFileURL(join(dirname(inkEntry), 'output.js')).href)) as {
		default: { prototype: { get: unknown } };
	};
	Output.prototype.get = fastOutputGet;
	return true;
};
