/**
 * Reasoning effort and output budgets of a composed council, per stage and per model, as the
 * picker edits them and as a saved preset keeps them (`StageReasoning` on the server:
 * `{answers, reviews, chairman, models: {model: …}}`, each `{effort, max_output_tokens}`; a
 * model's setting goes over its stage's). Unset means the upstream's default.
 */
import type { SavedPreset } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';

export type StageReasoning = SavedPreset['reasoning'];
type Budget = NonNullable<StageReasoning['answers']>;
export type Effort = NonNullable<Budget['effort']>;
export type StageKey = 'answers' | 'reviews' | 'chairman';

export const EFFORTS: readonly Effort[] = ['minimal', 'low', 'medium', 'high'];
export const STAGES: readonly { key: StageKey; label: string }[] = [
  { key: 'answers', label: 'Answers' },
  { key: 'reviews', label: 'Reviews' },
  { key: 'chairman', label: 'Chairman' },
];

/** One row of the controls: an effort ('' for the default) and a token count as typed. */
export interface BudgetRow {
  effort: Effort | '';
  maxOutput: string;
}

export interface ReasoningForm {
  stages: Record<StageKey, BudgetRow>;
  models: Record<string, BudgetRow>;
  /** What a saved preset kept that the picker does not edit (reasoning token budgets). */
  kept: StageReasoning;
}

const BLANK: BudgetRow = { effort: '', maxOutput: '' };

export const EMPTY_REASONING: ReasoningForm = {
  stages: { answers: BLANK, reviews: BLANK, chairman: BLANK },
  models: {},
  kept: {},
};

function row(budget: Budget | undefined): BudgetRow {
  return { effort: budget?.effort ?? '', maxOutput: budget?.max_output_tokens ? String(budget.max_output_tokens) : '' };
}

/** The controls' state for a saved preset's reasoning. */
export function fromSaved(reasoning: StageReasoning | undefined): ReasoningForm {
  const models: Record<string, BudgetRow> = {};
  for (const [model, budget] of Object.entries(reasoning?.models ?? {})) models[model] = row(budget);
  return {
    stages: { answers: row(reasoning?.answers), reviews: row(reasoning?.reviews), chairman: row(reasoning?.chairman) },
    models,
    kept: reasoning ?? {},
  };
}

function tokens(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() && Number.isInteger(value) && value >= 1 ? value : null;
}

/** What is wrong with the typed token counts, said plainly; null when nothing is. */
export function reasoningProblem(form: ReasoningForm, council: readonly string[]): string | null {
  const rows: [string, BudgetRow][] = [
    ...STAGES.map((s): [string, BudgetRow] => [s.label.toLowerCase(), form.stages[s.key]]),
    ...council.flatMap((m): [string, BudgetRow][] => (form.models[m] ? [[shortModelName(m), form.models[m]]] : [])),
  ];
  const bad = rows.find(([, r]) => r.maxOutput.trim() !== '' && tokens(r.maxOutput) === null);
  return bad ? `Max output tokens for ${bad[0]} must be a whole number of 1 or more.` : null;
}

function budget(r: BudgetRow, kept: Budget | undefined): Budget | null {
  const out: Budget = {};
  if (r.effort) out.effort = r.effort;
  const max = tokens(r.maxOutput);
  if (max !== null) out.max_output_tokens = max;
  if (kept?.max_reasoning_tokens) out.max_reasoning_tokens = kept.max_reasoning_tokens;
  return Object.keys(out).length ? out : null;
}

/** The reasoning to save: only what was set, and only for models of ``council``. */
export function toSaved(form: ReasoningForm, council: readonly string[]): StageReasoning {
  const saved: StageReasoning = {};
  for (const { key } of STAGES) {
    const b = budget(form.stages[key], form.kept[key]);
    if (b) saved[key] = b;
  }
  const models: Record<string, Budget> = {};
  for (const model of new Set(council)) {
    const r = form.models[model];
    const b = r ? budget(r, form.kept.models?.[model]) : null;
    if (b) models[model] = b;
  }
  if (Object.keys(models).length) saved.models = models;
  return saved;
}

function describeRow(r: BudgetRow): string {
  const parts = [];
  if (r.effort) parts.push(`${r.effort} effort`);
  const max = tokens(r.maxOutput);
  if (max !== null) parts.push(`≤ ${max.toLocaleString('en')} tokens`);
  return parts.join(', ');
}

/** "Reviews: low effort; Chairman: high effort, ≤ 8,000 tokens" or "upstream defaults". */
export function describeReasoning(form: ReasoningForm, council: readonly string[]): string {
  const parts = [
    ...STAGES.map((s) => [s.label, describeRow(form.stages[s.key])]),
    ...[...new Set(council)].map((m) => [shortModelName(m), form.models[m] ? describeRow(form.models[m]) : '']),
  ]
    .filter(([, text]) => text)
    .map(([label, text]) => `${label}: ${text}`);
  return parts.length ? parts.join('; ') : 'upstream defaults';
}
