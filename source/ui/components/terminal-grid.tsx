import { Box, Text } from 'ink';
import { badges, cardWidth, fit, formatDuration, type TerminalView } from '../model.js';

const Badge = ({ terminal, now }: { terminal: TerminalView; now: number }) => {
	const badge = badges[terminal.status];
	return (
		<Text color={badge.color} bold={terminal.status === 'waiting_user_answer' || terminal.status === 'error'}>
			{badge.glyph} {badge.label}
			<Text dimColor> {formatDuration(now - terminal.since)}</Text>
		</Text>
	);
};

const inner = cardWidth - 4;

/** One terminal as a card: name and profile, provider, badge and time, inbox, last line. */
const Card = ({ terminal, selected, now }: { terminal: TerminalView; selected: boolean; now: number }) => (
	<Box
		flexDirection="column"
		width={cardWidth}
		borderStyle={selected ? 'double' : 'round'}
		borderColor={selected ? 'cyan' : 'gray'}
		paddingX={1}
	>
		<Text bold wrap="truncate">
			{fit(`${selected ? '▶ ' : ''}${terminal.name}`, inner - 10)}
			<Text dimColor> {terminal.id}</Text>
		</Text>
		<Text dimColor wrap="truncate">
			{fit(terminal.provider, inner)}
		</Text>
		<Box justifyContent="space-between" width={inner}>
			<Badge terminal={terminal} now={now} />
			<Text color={terminal.pending > 0 ? 'cyan' : 'gray'}>✉ {terminal.pending}</Text>
		</Box>
		<Text wrap="truncate">{fit(terminal.lastLine || ' ', inner)}</Text>
	</Box>
);

/** Height of a card, borders included. */
export const cardHeight = 6;

/** One terminal per line, for narrow terminals. */
const ListRow = ({
	terminal,
	selected,
	now,
	width,
}: {
	terminal: TerminalView;
	selected: boolean;
	now: number;
	width: number;
}) => {
	const badge = badges[terminal.status];
	const head = `${selected ? '▶' : ' '} ${terminal.name} ${terminal.id} `;
	const status = `${badge.glyph} ${badge.label} ${formatDuration(now - terminal.since)}`;
	const inbox = terminal.pending > 0 ? ` ✉${terminal.pending}` : '';
	return (
		<Text wrap="truncate" inverse={selected}>
			{head}
			<Text color={badge.color}>{status}</Text>
			{inbox}
			<Text dimColor>
				{' '}
				{fit(terminal.lastLine, Math.max(width - head.length - status.length - inbox.length - 2, 0))}
			</Text>
		</Text>
	);
};

/**
 * The terminals as a grid of cards (`columns` across, `rows` of cards from `top`), or as a list
 * when `columns` is 0.
 */
export const TerminalGrid = ({
	terminals,
	selected,
	columns,
	top,
	rows,
	now,
	width,
	emptyText,
}: {
	terminals: readonly TerminalView[];
	selected: number;
	columns: number;
	top: number;
	rows: number;
	now: number;
	width: number;
	emptyText: string;
}) => {
	if (terminals.length === 0)
		return (
			<Box height={Math.max(rows, 1)} paddingX={1}>
				<Text dimColor>{emptyText}</Text>
			</Box>
		);
	if (columns === 0)
		return (
			<Box flexDirection="column">
				{terminals.slice(top, top + rows).map((terminal, offset) => (
					<ListRow
						key={terminal.id}
						terminal={terminal}
						selected={top + offset === selected}
						now={now}
						width={width}
					/>
				))}
			</Box>
		);
	const lines: TerminalView[][] = [];
	for (let row = top; row < top + rows && row * columns < terminals.length; row++)
		lines.push(terminals.slice(row * columns, (row + 1) * columns));
	return (
		<Box flexDirection="column">
			{lines.map((line, row) => (
				<Box key={line[0]?.id ?? row}>
					{line.map((terminal, column) => (
						<Card
							key={terminal.id}
							terminal={terminal}
							selected={(top + row) * columns + column === selected}
							now={now}
						/>
					))}
				</Box>
			))}
		</Box>
	);
};
