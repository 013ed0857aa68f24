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

// Optional bold or italic markers hugging the label are swallowed ("**Response A**" is already
// meant as a name). No letter or digit may touch it: "Response Ab" is not a label.
const LABEL = /(\*\*|__|\*|_)?(?<![A-Za-z0-9])Response ([A-Z])(?![A-Za-z0-9])(\*\*|__|\*|_)?/g;
// Code is left as written: fenced blocks and inline code spans.
const CODE = /(```[\s\S]*?(?:```|$)|`[^`\n]*`)/;

/** The link target that marks a model reference; the Markdown view renders it in bold. */
export const MODEL_REF_PREFIX = '#model-ref:';

export function modelRefTarget(href: string | undefined): string | null {
  if (!href?.startsWith(MODEL_REF_PREFIX)) return null;
  try {
    return decodeURIComponent(href.slice(MODEL_REF_PREFIX.length));
  } catch {
    return null;
  }
}

/**
 * Replaces "Response X" with a reference to the model behind it, for every label in
 * `labelToModel`; unknown labels stay. The reference is Markdown link syntax with a
 * `#model-ref:` target, which nests inside bold or italic text where `**name**` would not, and
 * the Markdown view shows as the model's name in bold. `name` chooses the text shown.
 */
export function deanonymise(
  text: string,
  labelToModel: Record<string, string>,
  name: (model: string) => string = shortModelName,
): string {
  if (!text) return text;
  return text
    .split(CODE)
    .map((part, i) => (i % 2 === 1 ? part : replaceLabels(part, labelToModel, name)))
    .join('');
}

function replaceLabels(text: string, labelToModel: Record<string, string>, name: (model: string) => string): string {
  return text.replace(LABEL, (whole, open: string | undefined, letter: string, close: string | undefined) => {
    const model = labelToModel[`Response ${letter}`];
    if (!model) return whole;
    const ref = `[${escapeMarkdown(name(model))}](${MODEL_REF_PREFIX}${encodeURIComponent(model)})`;
    // A marker on one side only belongs to a wider emphasis ("*Response A is clear*"): keep it.
    const keepOpen = open && open !== close ? open : '';
    const keepClose = close && open !== close ? close : '';
    return `${keepOpen}${ref}${keepClose}`;
  });
}

function escapeMarkdown(s: string): string {
  return s.replace(/([\\`*_[\]<>()])/g, '\\$1');
}

/** The model behind a label, or the label itself when the map does not know it. */
export function labelModel(label: string, labelToModel: Record<string, string>): string {
  return labelToModel[label] ?? labelToModel[`Response ${label}`] ?? label;
}
