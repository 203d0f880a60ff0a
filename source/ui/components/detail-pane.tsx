import { Box, Text } from 'ink';
import { badges, fit, formatDuration, type PanelModel, type TerminalView } from '../model.js';

const clock = (at: number) => new Date(at).toISOString().slice(11, 19);

/**
 * The selected terminal: its rendered screen (tmux's own rendering, never raw escapes), its recent
 * status changes with their evidence, and its inbox.
 */
export const DetailPane = ({
	terminal,
	preview,
	width,
	height,
	now,
}: {
	terminal: TerminalView | undefined;
	preview: PanelModel['preview'];
	width: number;
	height: number;
	now: number;
}) => {
	if (!terminal || height < 3) return null;
	const side = Math.min(52, Math.floor(width / 2.5));
	const screenWidth = width - side - 3;
	const body = height - 2;
	const rows = preview?.rows ?? [];
	// The bottom of the screen is where an agent's prompt and newest output are.
	const shown = rows.slice(-body);
	const history = terminal.history.slice(-Math.max(body - 3, 1)).reverse();
	return (
		<Box borderStyle="single" borderColor="gray" height={height} width={width}>
			<Box flexDirection="column" width={screenWidth} paddingLeft={1}>
				{shown.length === 0 ? (
					<Text dimColor>(reading the screen…)</Text>
				) : (
					shown.map((row, index) => (
						<Text key={index} wrap="truncate">
							{fit(row, screenWidth - 1) || ' '}
						</Text>
					))
				)}
			</Box>
			<Box flexDirection="column" width={side} paddingLeft={1}>
				<Text bold wrap="truncate">
					{fit(`${terminal.name} · ${terminal.provider} · ${terminal.session}:${terminal.window}`, side - 1)}
				</Text>
				<Text wrap="truncate" color={terminal.pending > 0 ? 'cyan' : 'gray'}>
					inbox: {terminal.pending} pending
				</Text>
				<Text dimColor>status changes (newest first):</Text>
				{history.map((change, index) => (
					<Text key={`${change.at}-${index}`} wrap="truncate">
						<Text dimColor>{clock(change.at)} </Text>
						<Text color={badges[change.status].color}>{badges[change.status].glyph} </Text>
						{fit(`${change.rule}${change.line ? `: ${change.line.trim()}` : ''}`, side - 13)}
					</Text>
				))}
				{history.length === 0 ? (
					<Text dimColor>none yet ({formatDuration(now - terminal.since)})</Text>
				) : null}
			</Box>
		</Box>
	);
};
