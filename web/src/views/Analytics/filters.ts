/**
 * The analytics page's filters as the person sets them (a preset, a model, a time range, a
 * user) and as the API takes them (`AnalyticsFilters`: ISO instants, absent when unset).
 */
import type { AgreementPeriod, AnalyticsFilters } from '../../api/analytics';

export type RangeChoice = 'all' | '7d' | '30d' | '90d' | 'custom';

export const RANGES: { value: RangeChoice; label: string }[] = [
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '90d', label: 'Last 90 days' },
  { value: 'all', label: 'All time' },
  { value: 'custom', label: 'Dates…' },
];

export interface FilterState {
  preset: string;
  model: string;
  range: RangeChoice;
  /** yyyy-mm-dd of a date field, for the custom range. */
  from: string;
  to: string;
  /** '' is everyone the caller may see. */
  userId: string;
}

export const NO_FILTERS: FilterState = { preset: '', model: '', range: 'all', from: '', to: '', userId: '' };

const DAYS: Partial<Record<RangeChoice, number>> = { '7d': 7, '30d': 30, '90d': 90 };

/** A date field's day as the start of that day in the viewer's time, in UTC ISO form. */
export function dayStart(value: string, plusDays = 0): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

/** The filters as the API takes them; the "to" day is included (the API's until is exclusive). */
export function apiFilters(state: FilterState, now: Date): AnalyticsFilters {
  const filters: AnalyticsFilters = {};
  if (state.preset) filters.preset = state.preset;
  if (state.model) filters.model = state.model;
  if (state.userId) filters.userId = state.userId;
  const days = DAYS[state.range];
  if (days !== undefined) {
    filters.since = new Date(now.getTime() - days * 86_400_000).toISOString();
  } else if (state.range === 'custom') {
    const since = dayStart(state.from);
    const until = dayStart(state.to, 1);
    if (since) filters.since = since;
    if (until) filters.until = until;
  }
  return filters;
}

/** Buckets of the agreement-over-time chart that suit the range: days for a month or less. */
export function periodFor(state: FilterState): AgreementPeriod {
  if (state.range === '7d' || state.range === '30d') return 'day';
  if (state.range === 'custom' && state.from && state.to) {
    const span = (Date.parse(state.to) - Date.parse(state.from)) / 86_400_000;
    if (Number.isFinite(span) && span <= 31) return 'day';
  }
  return 'week';
}

/** Presets and models to offer: the configured ones, those in the reports, and the chosen one. */
export function optionList(...sources: (readonly (string | null | undefined)[])[]): string[] {
  const seen = new Set<string>();
  for (const source of sources) for (const v of source) if (v) seen.add(v);
  return [...seen].sort((a, b) => a.localeCompare(b));
}
