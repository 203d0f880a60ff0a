/** Pieces of the raw stream exactly as fixtures/fake-agent.mjs writes them. */
export const title = (text: string) => `\x1b]0;${text}\x07`;
export const banner =
	'\x1b[?2004h' +
	'╭──────────────────────────────────────╮\r\n' +
	'│ Fake Agent (cao-tui test peer)       │\r\n' +
	'╰──────────────────────────────────────╯\r\n';
export const prompt = `${title('✳ fake-agent')}\r\n❯ `;
const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** One spinner line as it reads once redrawn. */
export const frameLine = (index: number) =>
	`${frames[index % frames.length]} Thinking… (0s · esc to interrupt)`;
/** One spinner repaint: clear the line, draw the frame. */
export const frame = (index: number) => `\r\x1b[2K${frameLine(index)}`;
/** `spin()` clears its line when it ends. */
export const spinEnd = '\r\x1b[2K';
/** A reply: the first line after `● `, the rest indented. */
export const reply = (lines: string | readonly string[]) =>
	(typeof lines === 'string' ? [lines] : lines)
		.map((text, index) => `${index === 0 ? '● ' : '  '}${text}\r\n`)
		.join('');
