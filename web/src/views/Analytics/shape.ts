/**
 * The analytics reports turned into the rows the charts and tables draw. Pure functions, so the
 * rules (what counts as a small sample, which rows a chart shows, how costs join quality) are
 * tested without a browser.
 */
import type {
  AgreementReport,
  AnswererRow,
  CostsReport,
  Estimate,
  ModelsReport,
  ReviewerRow,
  ReviewersReport,
} from '../../api/analytics';

/** The server's threshold (`analytics/schemas.py`, SMALL_SAMPLE): figures on fewer are flagged. */
export const SMALL_SAMPLE = 20;

/** A figure the UI computes itself (a mean over calls) is flagged by the same rule. */
export function isSmallSample(n: number): boolean {
  return n < SMALL_SAMPLE;
}

/** "n = 18 · small sample", "n = 240 votes", "n = 0 · no data". */
export function sampleText(n: number, small: boolean, unit?: string): string {
  const noun = unit && n === 1 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
  const counted = `n = ${n.toLocaleString('en')}${noun ? ` ${noun}` : ''}`;
  if (n === 0) return `${counted} · no data`;
  return small ? `${counted} · small sample` : counted;
}

/** One bar or point of a chart: a figure with its interval and sample size. */
export interface FigureRow {
  key: string;
  /** What the axis shows (a short model name, a preset, a date). */
  label: string;
  value: number | null;
  low: number | null;
  high: number | null;
  /** Distances from the value to the interval's ends, as Recharts' ErrorBar wants them. */
  error: [number, number] | null;
  n: number;
  small: boolean;
}

export function figureRow(key: string, e: Estimate, label: string = key): FigureRow {
  const hasInterval = e.value !== null && e.ci_low !== null && e.ci_low !== undefined && e.ci_high !== null && e.ci_high !== undefined;
  return {
    key,
    label,
    value: e.value,
    low: e.ci_low ?? null,
    high: e.ci_high ?? null,
    error: hasInterval ? [Math.max(0, e.value! - e.ci_low!), Math.max(0, e.ci_high! - e.value!)] : null,
    n: e.n,
    small: e.small_sample,
  };
}

/** Rows with a value first, highest first; rows with no data last (shown, never dropped). */
export function byValue(rows: FigureRow[]): FigureRow[] {
  return [...rows].sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? 0 : 1) : -1;
    return b.value - a.value;
  });
}

/** Rows with their intervals cut to [lo, hi]: a correlation or a difference of shares cannot
 * leave it, though a normal interval around a mean of few cases can. */
export function clampRows(rows: FigureRow[], lo: number, hi: number): FigureRow[] {
  const clamp = (v: number | null) => (v === null ? null : Math.min(hi, Math.max(lo, v)));
  return rows.map((r) => {
    const low = clamp(r.low);
    const high = clamp(r.high);
    const error: [number, number] | null = r.value !== null && low !== null && high !== null ? [Math.max(0, r.value - low), Math.max(0, high - r.value)] : null;
    return { ...r, low, high, error: r.error ? error : null };
  });
}

/**
 * The last segment of each model's name ("openai/gpt-5.4" → "gpt-5.4"), or the full name where
 * two models would share a short one.
 */
export function shortNames(models: string[]): Map<string, string> {
  const tail = (m: string) => m.slice(m.lastIndexOf('/') + 1) || m;
  const counts = new Map<string, number>();
  for (const m of new Set(models)) counts.set(tail(m), (counts.get(tail(m)) ?? 0) + 1);
  return new Map(models.map((m) => [m, (counts.get(tail(m)) ?? 0) > 1 ? m : tail(m)]));
}

export type StrengthSource = 'peer' | 'length_controlled' | 'human';

const STRENGTH_FIELD: Record<StrengthSource, keyof Pick<AnswererRow, 'strength' | 'length_controlled_strength' | 'human_strength'>> = {
  peer: 'strength',
  length_controlled: 'length_controlled_strength',
  human: 'human_strength',
};

/** Each answerer's Bradley–Terry log-strength from one source, strongest first. */
export function strengthRows(report: ModelsReport, source: StrengthSource): FigureRow[] {
  const names = shortNames(report.models.map((r) => r.model));
  return byValue(report.models.map((r) => figureRow(r.model, r[STRENGTH_FIELD[source]], names.get(r.model))));
}

export type ReviewerMetric = 'position_bias' | 'self_preference' | 'length_bias' | 'agreement' | 'failure_rate' | 'repair_rate';

function reviewerEstimate(row: ReviewerRow, metric: ReviewerMetric): Estimate {
  switch (metric) {
    case 'failure_rate':
      return row.parse.failure_rate;
    case 'repair_rate':
      return row.parse.repair_rate;
    default:
      return row[metric];
  }
}

/** One reviewer figure per reviewer, in a stable order (by name) so the plots line up. */
export function reviewerRows(report: ReviewersReport, metric: ReviewerMetric): FigureRow[] {
  const names = shortNames(report.reviewers.map((r) => r.model));
  return [...report.reviewers]
    .sort((a, b) => a.model.localeCompare(b.model))
    .map((r) => figureRow(r.model, reviewerEstimate(r, metric), names.get(r.model)));
}

/** "Dec 1" for a day, "Dec 2026" for a month: the period's first day, in UTC. */
export function periodLabel(key: string, period: AgreementReport['period']): string {
  const d = new Date(key.length === 10 ? `${key}T00:00:00Z` : key);
  if (Number.isNaN(d.getTime())) return key;
  const options: Intl.DateTimeFormatOptions =
    period === 'month' ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { month: 'short', day: 'numeric', timeZone: 'UTC' };
  return d.toLocaleDateString('en', options);
}

/** A point of the agreement-over-time chart; `band` is the interval as an area's range. */
export interface TrendRow extends FigureRow {
  band: [number, number] | null;
}

/** People against the council over time, oldest first. */
export function agreementTrend(report: AgreementReport): TrendRow[] {
  return [...report.over_time]
    .filter((g) => g.key !== null)
    .sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0))
    .map((g) => {
      const row = figureRow(g.key!, g.council_top_picked, periodLabel(g.key!, report.period));
      return { ...row, band: row.low !== null && row.high !== null ? [row.low, row.high] : null };
    });
}

export const CUSTOM_COUNCIL = 'custom council';

/** Agreement with people per preset (a council chosen member by member has no preset). */
export function presetAgreementRows(report: AgreementReport): FigureRow[] {
  return byValue(report.by_preset.map((g) => figureRow(g.key ?? '', g.council_top_picked, g.key ?? CUSTOM_COUNCIL)));
}

/** One model's calls in every role, next to how good its answers were. */
export interface ModelCostQuality {
  model: string;
  label: string;
  roles: string[];
  calls: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  /** null when no call had a known cost. */
  cost: number | null;
  costPerCall: number | null;
  /** Mean over the calls with a latency, weighted by their number. */
  meanLatencyMs: number | null;
  small: boolean;
  strength: Estimate | null;
  humanStrength: Estimate | null;
  winRate: Estimate | null;
}

/** Costs per model summed over its roles (answer, review, synthesis), joined with quality. */
export function modelCostQuality(costs: CostsReport, models: ModelsReport | null): ModelCostQuality[] {
  const quality = new Map((models?.models ?? []).map((r) => [r.model, r]));
  const grouped = new Map<string, CostsReport['by_model']>();
  for (const row of costs.by_model) grouped.set(row.model, [...(grouped.get(row.model) ?? []), row]);
  const names = shortNames([...grouped.keys()]);
  const rows = [...grouped.entries()].map(([model, rows]): ModelCostQuality => {
    const calls = rows.reduce((t, r) => t + r.calls, 0);
    const priced = rows.filter((r) => r.cost !== null);
    const cost = priced.length ? priced.reduce((t, r) => t + r.cost!, 0) : null;
    const timed = rows.filter((r) => r.mean_latency_ms !== null && r.calls > 0);
    const timedCalls = timed.reduce((t, r) => t + r.calls, 0);
    const q = quality.get(model);
    return {
      model,
      label: names.get(model) ?? model,
      roles: rows.map((r) => r.role),
      calls,
      failed: rows.reduce((t, r) => t + r.failed, 0),
      promptTokens: rows.reduce((t, r) => t + r.prompt_tokens, 0),
      completionTokens: rows.reduce((t, r) => t + r.completion_tokens, 0),
      cost,
      costPerCall: cost !== null && calls > 0 ? cost / calls : null,
      meanLatencyMs: timedCalls > 0 ? timed.reduce((t, r) => t + r.mean_latency_ms! * r.calls, 0) / timedCalls : null,
      small: isSmallSample(calls),
      strength: q?.strength ?? null,
      humanStrength: q?.human_strength ?? null,
      winRate: q?.win_rate ?? null,
    };
  });
  return rows.sort((a, b) => (b.cost ?? -1) - (a.cost ?? -1) || a.model.localeCompare(b.model));
}

/** One preset's runs and their cost, next to how often people agreed with its council. */
export interface PresetCostQuality {
  key: string;
  label: string;
  runs: number;
  tokens: number;
  cost: number | null;
  meanCost: number | null;
  meanDurationMs: number | null;
  small: boolean;
  agreement: Estimate | null;
}

export function presetCostQuality(costs: CostsReport, agreement: AgreementReport | null): PresetCostQuality[] {
  const agreed = new Map((agreement?.by_preset ?? []).map((g) => [g.key ?? '', g.council_top_picked]));
  return costs.by_preset
    .map((p) => ({
      key: p.preset ?? '',
      label: p.preset ?? CUSTOM_COUNCIL,
      runs: p.runs,
      tokens: p.prompt_tokens + p.completion_tokens,
      cost: p.cost,
      meanCost: p.mean_cost,
      meanDurationMs: p.mean_duration_ms,
      small: isSmallSample(p.runs),
      agreement: agreed.get(p.preset ?? '') ?? null,
    }))
    .sort((a, b) => b.runs - a.runs || a.label.localeCompare(b.label));
}

/** Whether the filtered runs hold anything to show at all. */
export function hasAnyData(reports: { models: ModelsReport; costs: CostsReport; agreement: AgreementReport }): boolean {
  return reports.models.runs > 0 || reports.costs.by_model.length > 0 || reports.agreement.votes > 0;
}

/** The reviewer weights from agreement with people, and what they do today, in one line. */
export function weightingText(enabled: boolean): string {
  return enabled
    ? "Weighting is on: new runs' leaderboards count each reviewer's preferences times its applied weight, from people's votes (1 = average)."
    : 'Weighting is off: every reviewer counts the same; the weights show what agreement with people would give each (1 = average).';
}
