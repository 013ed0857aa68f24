/** What the Stage 2 views show about rankings, computed apart from React so it can be tested. */
import type { AggregateEntry, Agreement, RunMetadata } from '../api/types';
import { labelModel } from './deanonymise';

export type ParseQuality = 'ok' | 'partial' | 'failed';

const OK_STATUSES = new Set(['ok', 'parsed', 'structured', 'success', 'json']);
const FAILED_STATUSES = new Set(['failed', 'fail', 'error', 'unparsed', 'none', 'missing', 'invalid']);

/** Classifies a reviewer's parse status; an empty ranking is a failure whatever the status says. */
export function parseQuality(status: string | null, parsed: string[], issues: string[]): ParseQuality {
  const s = (status ?? '').toLowerCase();
  if (parsed.length === 0 || FAILED_STATUSES.has(s)) return 'failed';
  if (OK_STATUSES.has(s) && issues.length === 0) return 'ok';
  if (!s && issues.length === 0) return 'ok';
  return 'partial';
}

export interface RankedItem {
  position: number;
  label: string;
  model: string;
  /** This reviewer's own answer (shown, and not counted when self-votes are excluded). */
  own: boolean;
}

/** A reviewer's parsed ranking, best first, with the models behind the labels. */
export function rankedItems(parsed: string[], labelToModel: Record<string, string>, ownLabel: string | null): RankedItem[] {
  return parsed.map((label, i) => ({ position: i + 1, label, model: labelModel(label, labelToModel), own: label === ownLabel }));
}

export interface LeaderboardRow {
  place: number;
  model: string;
  label: string | null;
  /** Null when no reviewer ranked it. */
  averageRank: number | null;
  votes: number;
  firstPlaceVotes: number | null;
  selfRankAverage: number | null;
}

/**
 * The aggregate leaderboard, best (lowest average rank) first; ties share a place. Falls back to
 * the original's `aggregate_rankings` when the richer `aggregate` is absent.
 */
export function leaderboard(meta: RunMetadata | null): LeaderboardRow[] {
  if (!meta) return [];
  const source: AggregateEntry[] = meta.aggregate?.length
    ? meta.aggregate
    : (meta.aggregate_rankings ?? []).map((a) => ({ ...a, label: '', first_place_votes: Number.NaN, self_rank_average: null }));
  const key = (r: number | null | undefined) => r ?? Number.POSITIVE_INFINITY;
  const rows = [...source].sort((a, b) => key(a.average_rank) - key(b.average_rank) || a.model.localeCompare(b.model));
  let place = 0;
  let previous: number | null | undefined;
  return rows.map((a, i) => {
    if (i === 0 || a.average_rank !== previous) place = i + 1;
    previous = a.average_rank;
    return {
      place,
      model: a.model,
      label: a.label || null,
      averageRank: a.average_rank ?? null,
      votes: a.rankings_count,
      firstPlaceVotes: Number.isNaN(a.first_place_votes) ? null : a.first_place_votes,
      selfRankAverage: a.self_rank_average ?? null,
    };
  });
}

/** Kendall's W in words, so a reader does not need to know the statistic. */
export function describeAgreement(agreement: Agreement | null | undefined): string {
  const w = agreement?.kendall_w;
  if (w === null || w === undefined || Number.isNaN(w)) return 'not enough reviewers to measure agreement';
  if (w >= 0.7) return 'strong agreement';
  if (w >= 0.4) return 'moderate agreement';
  if (w >= 0.1) return 'weak agreement';
  return 'no agreement';
}
