import { Box, Text } from 'ink';
import { keymap, type View } from '../keymap.js';
import { badges, formatDuration, type TerminalView } from '../model.js';

const others: [View, string][] = [
	['flows', 'Flows'],
	['form', 'Forms'],
	['filter', 'Filter'],
	['confirm', 'Questions'],
];

/** The grid's bindings, those that share a short name (the four moves) on one line. */
const gridLines = () => {
	const lines = new Map<string, { keys: string[]; help: string }>();
	for (const binding of keymap.grid) {
		const line = lines.get(binding.short);
		if (line) {
			line.keys.push(...binding.keys);
			line.help = `${binding.short} the selection`;
		} else lines.set(binding.short, { keys: [...binding.keys], help: binding.help });
	}
	return [...lines.values()];
};

/** Every key, from the keymap: the terminals' keys one per line, the other views' in a line each. */
export const HelpScreen = ({ width }: { width: number }) => (
	<Box
		flexDirection="column"
		borderStyle="round"
		borderColor="cyan"
		paddingX={1}
		width={width}
		flexShrink={0}
	>
		<Text bold>Keys</Text>
		{gridLines().map((line) => (
			<Text key={line.help} wrap="truncate">
				<Text color="cyan">{line.keys.join(' ').padEnd(22)}</Text>
				{line.help}
			</Text>
		))}
		{others.map(([view, title]) => (
			<Text key={view} wrap="truncate">
				<Text bold>{`${title}: `.padEnd(12)}</Text>
				{keymap[view].map((binding) => `${binding.keys.join('/')} ${binding.short}`).join(' · ')}
			</Text>
		))}
	</Box>
);

/** Why the terminal has its status: the rule that decided and the line it matched. */
export const ExplainBox = ({
	terminal,
	now,
	width,
}: {
	terminal: TerminalView;
	now: number;
	width: number;
}) => {
	const badge = badges[terminal.status];
	return (
		<Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
			<Text bold>
				Why {terminal.name} ({terminal.id}) is{' '}
				<Text color={badge.color}>
					{badge.glyph} {badge.label}
				</Text>{' '}
				<Text dimColor>for {formatDuration(now - terminal.since)}</Text>
			</Text>
			<Text>
				rule: <Text color="cyan">{terminal.rule || '(none yet)'}</Text>
			</Text>
			<Text wrap="truncate">
				line: {terminal.line ? `“${terminal.line.trim()}”` : '(no screen line: a fact of its own)'}
			</Text>
			<Text dimColor wrap="wrap">
				The rule is the provider's detection rule that decided; the line is the screen line it matched.
				`cao-tui replay --provider {terminal.provider} $CAO_HOME/logs/terminal/{terminal.id}.log` shows the
				whole timeline.
			</Text>
		</Box>
	);
};

export const ConfirmBox = ({ question }: { question: string }) => (
	<Box borderStyle="round" borderColor="yellow" paddingX={1}>
		<Text>
			{question} <Text bold>[y/n]</Text>
		</Text>
	</Box>
);
