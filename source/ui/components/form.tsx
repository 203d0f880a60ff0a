import { Box, Text } from 'ink';
import { fieldValue, type FormState } from '../form-state.js';

export const Form = ({ form, width }: { form: FormState; width: number }) => (
	<Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
		<Text bold>{form.title}</Text>
		{form.fields.map((field, index) => {
			const focused = index === form.focus;
			return (
				<Text key={field.name} wrap="truncate">
					<Text color={focused ? 'cyan' : undefined}>
						{focused ? '▶ ' : '  '}
						{field.label.padEnd(12)}
					</Text>
					{field.kind === 'choice' ? (
						<Text>
							{focused ? '◀ ' : ''}
							{fieldValue(field) || '(none)'}
							{focused ? ' ▶' : ''}
							<Text dimColor>
								{' '}
								({field.index + 1}/{field.choices.length})
							</Text>
						</Text>
					) : (
						<Text>
							{field.value || <Text dimColor>{field.placeholder ?? ''}</Text>}
							{focused ? <Text inverse> </Text> : null}
						</Text>
					)}
				</Text>
			);
		})}
		{form.error ? <Text color="red">{form.error}</Text> : null}
	</Box>
);
