/**
 * Reviewers judge anonymous answers ("Response A", …). For display only, the labels in their
 * text are replaced by the bold names of the models behind them; the stored text is untouched.
 */

/** "openai/gpt-5.1" → "gpt-5.1" (the part after the last slash). */
export function shortModelName(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash === -1 || slash === model.length - 1 ? model : model.slice(slash + 1);
}

/** Names for a set of models, short where that stays unambiguous. */
export function displayNames(models: string[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const m of new Set(models)) counts.set(shortModelName(m), (counts.get(shortModelName(m)) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const m of models) out.set(m, (counts.get(shortModelName(m)) ?? 0) > 1 ? m : shortModelName(m));
  return out;
}

// Optional bold or italic markers around the label are swallowed so that "**Response A**" does
// not become "****gpt-5.1****". A letter must not follow: "Response Ab" is not a label.
const LABEL = /(\*\*|__|\*|_)?\bResponse ([A-Z])\b(?![-'’]?[A-Za-z0-9])(\*\*|__|\*|_)?/g;

/**
 * Replaces "Response X" with `**model**` for every label in `labelToModel`; unknown labels stay.
 * `name` chooses the text shown for a model id.
 */
export function deanonymise(
  text: string,
  labelToModel: Record<string, string>,
  name: (model: string) => string = shortModelName,
): string {
  if (!text) return text;
  return text.replace(LABEL, (whole, open: string | undefined, letter: string, close: string | undefined) => {
    const model = labelToModel[`Response ${letter}`];
    if (!model) return whole;
    const bold = `**${escapeMarkdown(name(model))}**`;
    // Keep a marker that only belonged to one side ("*Response A is best*").
    const keepOpen = open && open !== close ? open : '';
    const keepClose = close && open !== close ? close : '';
    return `${keepOpen}${bold}${keepClose}`;
  });
}

function escapeMarkdown(s: string): string {
  return s.replace(/([\\`*_[\]<>])/g, '\\$1');
}

/** The model behind a label, or the label itself when the map does not know it. */
export function labelModel(label: string, labelToModel: Record<string, string>): string {
  return labelToModel[label] ?? labelToModel[`Response ${label}`] ?? label;
}
