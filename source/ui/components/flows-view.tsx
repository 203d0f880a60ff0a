import { Box, Text } from 'ink';
import { fit, formatUntil, type FlowView } from '../model.js';

const clock = (at: number | null) =>
	at === null ? '-' : new Date(at).toISOString().slice(5, 16).replace('T', ' ');

/** The flows with their next runs and last results. */
export const FlowsView = ({
	flows,
	selected,
	now,
	width,
}: {
	flows: readonly FlowView[];
	selected: number;
	now: number;
	width: number;
}) => (
	<Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
		<Text bold>Flows</Text>
		{flows.length === 0 ? (
			<Text dimColor>No flows. Add one with `cao-tui flow add FILE.md`.</Text>
		) : (
			<>
				<Text
					dimColor
				>{`  ${'name'.padEnd(24)}${'enabled'.padEnd(9)}${'next run'.padEnd(16)}last run (UTC)  result`}</Text>
				{flows.map((flow, index) => (
					<Text key={flow.name} inverse={index === selected} wrap="truncate">
						{index === selected ? '▶ ' : '  '}
						{fit(flow.name, 23).padEnd(24)}
						<Text color={flow.enabled ? 'green' : 'gray'}>{(flow.enabled ? 'yes' : 'no').padEnd(9)}</Text>
						{(flow.enabled ? formatUntil(flow.nextRun, now) : '-').padEnd(16)}
						{clock(flow.lastRun).padEnd(16)}
						{fit(
							`${flow.lastResult ?? '-'}${flow.lastDetail ? `: ${flow.lastDetail}` : ''}`,
							Math.max(width - 70, 10),
						)}
					</Text>
				))}
			</>
		)}
	</Box>
);
