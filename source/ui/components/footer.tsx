import { Box, Text } from 'ink';
import { footerFor, type View } from '../keymap.js';

/** The keys that apply now, from the keymap; a notice (what the last action did) before them. */
export const Footer = ({
	view,
	hasTerminal,
	notice,
	width,
}: {
	view: View;
	hasTerminal: boolean;
	notice: string | null;
	width: number;
}) => (
	<Box width={width} height={1}>
		<Text wrap="truncate" dimColor={!notice}>
			{notice ? <Text color="cyan">{notice} · </Text> : null}
			{footerFor(view, { hasTerminal }).join('  ')}
		</Text>
	</Box>
);
