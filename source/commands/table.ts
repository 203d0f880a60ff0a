/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export const formatTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
	const widths = header.map((title, column) =>
		Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
	);
	return [header, ...rows]
		.map(
			(row) =>
				`${row
					.map((cell, column) => cell.padEnd(widths[column] ?? 0))
					.join('  ')
					.trimEnd()}\n`,
		)
		.join('');
};
