/** A field of a small form: free text, or one of a few choices (← → to change). */
export type FormField =
	| { kind: 'text'; name: string; label: string; value: string; placeholder?: string }
	| { kind: 'choice'; name: string; label: string; choices: readonly string[]; index: number };

export type FormState = {
	kind: 'new' | 'input' | 'message';
	title: string;
	fields: FormField[];
	focus: number;
	error: string | null;
};

export const fieldValue = (field: FormField): string =>
	field.kind === 'text' ? field.value : (field.choices[field.index] ?? '');

/** The form's values by field name. */
export const formValues = (form: FormState): Record<string, string> =>
	Object.fromEntries(form.fields.map((field) => [field.name, fieldValue(field)]));

/** Typing, backspace and choice changes on the focused field; pure. */
export const editField = (
	form: FormState,
	edit: { type: 'type'; text: string } | { type: 'erase' } | { type: 'choose'; by: 1 | -1 },
): FormState => {
	const fields = form.fields.map((field, index) => {
		if (index !== form.focus) return field;
		if (field.kind === 'choice') {
			if (edit.type !== 'choose' || field.choices.length === 0) return field;
			return { ...field, index: (field.index + edit.by + field.choices.length) % field.choices.length };
		}
		if (edit.type === 'type') return { ...field, value: field.value + edit.text };
		if (edit.type === 'erase') return { ...field, value: Array.from(field.value).slice(0, -1).join('') };
		return field;
	});
	return { ...form, fields, error: null };
};
