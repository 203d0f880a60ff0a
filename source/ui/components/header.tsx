import { Box, Text } from 'ink';
import { badges, countByStatus, formatUntil, nextFlowRun, type PanelModel } from '../model.js';

/** Engine, counts by status, next flow run, and the newest warning. */
export const Header = ({ model, width }: { model: PanelModel; width: number }) => {
	const counts = countByStatus(model.terminals);
	const next = nextFlowRun(model.flows);
	return (
		<Box flexDirection="column" width={width}>
			<Box justifyContent="space-between" width={width} height={1}>
				<Text wrap="truncate">
					<Text bold>cao-tui</Text>
					<Text dimColor> · {model.backend} · </Text>
					<Text>{model.terminals.length} terminals</Text>
					{counts.map(([status, count]) => (
						<Text key={status} color={badges[status].color}>
							{`  ${badges[status].glyph} ${count} ${badges[status].label}`}
						</Text>
					))}
				</Text>
				<Text dimColor wrap="truncate-start">
					{next ? `next flow: ${next.name} ${formatUntil(next.nextRun, model.now)}` : 'no flow scheduled'}
				</Text>
			</Box>
			{model.warning ? (
				<Text color="yellow" wrap="truncate">
					⚠ {model.warning}
				</Text>
			) : null}
		</Box>
	);
};
