/**
 * Whether `text` takes at most `room` bytes as UTF-8. A UTF-16 code unit is 1 to 3 bytes, so the
 * length alone answers most calls; only the rest are measured, which means a pass over the text.
 */
export const fitsUtf8 = (text: string, room: number): boolean =>
	text.length * 3 <= room || (text.length <= room && Buffer.byteLength(text) <= room);
