/** What the Stage 2 views show about rankings, computed apart from React so it can be tested. */
import type { AggregateEntry, Agreement, RunMetadata, SelfPreference, Vote, VoteUse } from '../api/types';
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

/** How a finished review reads to a person: calm words, with the reason when it did not count. */
export interface ReviewStatus {
  tone: 'ok' | 'partial' | 'failed';
  /** One short line: "Counted in full", "Counted as its top 2", "Not counted — …". */
  summary: string;
  /** Set when the reviewer had to be asked once more for its ranking. */
  reminder: string | null;
  conflict: string | null;
}

/** What `reviewStatus` reads; a `ReviewerView` has all of it. */
export interface ReviewFacts {
  settled: boolean;
  parseStatus: string | null;
  parsedRanking: string[];
  parseIssues: string[];
  parseReason?: string | null;
  parseConflict?: string | null;
  vote?: Vote | null;
  repair?: { asked: boolean; reply: string; status: string } | null;
}

const NOT_COUNTED = new Set([...FAILED_STATUSES, 'no_header']);

/**
 * A review's status, or null while it is not settled (still streaming, or finished but not yet
 * read): no alarm before there is something to be alarmed about. The server's `vote`, when
 * present, decides whether and how the review counted; older runs fall back to the parse status.
 */
export function reviewStatus(r: ReviewFacts): ReviewStatus | null {
  if (!r.settled) return null;
  const status = (r.parseStatus ?? '').toLowerCase();
  const reason = r.parseReason?.trim() || null;
  let tone: ReviewStatus['tone'];
  if (r.vote) tone = r.vote.counted === 'full' ? 'ok' : r.vote.counted === 'partial' ? 'partial' : 'failed';
  else if (status === 'ok') tone = r.parsedRanking.length ? 'ok' : 'failed';
  else if (status === 'partial') tone = r.parsedRanking.length ? 'partial' : 'failed';
  else if (NOT_COUNTED.has(status)) tone = 'failed';
  else tone = parseQuality(r.parseStatus, r.parsedRanking, r.parseIssues);
  // The server's note says it best when there is one ("Counted in full. Its own answer is left out.").
  const note = r.vote?.note?.trim() || null;
  let summary: string;
  if (tone === 'ok') summary = note ?? 'Counted in full';
  else if (tone === 'partial') summary = note ?? `Counted as its top ${r.parsedRanking.length} only${reason ? ` — ${reason}` : ''}`;
  else summary = `Not counted — ${reason ?? (note || legacyReason(status, r.parseIssues))}`;
  let reminder: string | null = null;
  if (r.repair?.asked) {
    const readable = !NOT_COUNTED.has((r.repair.status ?? '').toLowerCase());
    reminder = readable ? 'Needed one reminder to give its ranking' : 'Asked once more for its ranking; the reply could not be read either';
  }
  return { tone, summary, reminder, conflict: r.parseConflict?.trim() || null };
}

function legacyReason(status: string, issues: string[]): string {
  if (issues.length) return issues[0]!;
  if (status === 'no_header') return 'no FINAL RANKING section';
  return 'no ranking could be read with confidence';
}

export interface LeaderboardRow {
  place: number;
  model: string;
  label: string | null;
  /** Bradley–Terry log-strength and its 95 % interval; null in older runs. */
  strength: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  /** Null when no reviewer ranked it. */
  averageRank: number | null;
  votes: number;
  firstPlaceVotes: number | null;
  selfRankAverage: number | null;
}

/**
 * The aggregate leaderboard, best first; ties share a place. With Bradley–Terry strengths the
 * server's order stands (strongest first, exact ties drawn at random there, never by name);
 * older runs are ordered by average rank. Falls back to the original's `aggregate_rankings` when
 * the richer `aggregate` is absent.
 */
export function leaderboard(meta: RunMetadata | null): LeaderboardRow[] {
  if (!meta) return [];
  const source: AggregateEntry[] = meta.aggregate?.length
    ? meta.aggregate
    : (meta.aggregate_rankings ?? []).map((a) => ({ ...a, label: '', first_place_votes: Number.NaN, self_rank_average: null }));
  if (source.some((a) => typeof a.strength === 'number')) return byStrength(source);
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
      strength: null,
      ciLow: null,
      ciHigh: null,
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

function byStrength(source: AggregateEntry[]): LeaderboardRow[] {
  const ranked = source.filter((a) => typeof a.strength === 'number');
  const unranked = source.filter((a) => typeof a.strength !== 'number');
  let place = 0;
  let previous: number | null = null;
  const rows = ranked.map((a, i) => {
    if (i === 0 || a.strength !== previous) place = i + 1;
    previous = a.strength ?? null;
    return row(a, place);
  });
  return [...rows, ...unranked.map((a) => row(a, ranked.length + 1))];
}

function row(a: AggregateEntry, place: number): LeaderboardRow {
  return {
    place,
    model: a.model,
    label: a.label || null,
    strength: a.strength ?? null,
    ciLow: a.ci_low ?? null,
    ciHigh: a.ci_high ?? null,
    averageRank: a.average_rank ?? null,
    votes: a.rankings_count,
    firstPlaceVotes: Number.isNaN(a.first_place_votes) ? null : a.first_place_votes,
    selfRankAverage: a.self_rank_average ?? null,
  };
}

/** Where a strength and its interval sit on a shared axis, as percentages of the chart's width. */
export interface StrengthMark {
  point: number;
  low: number;
  high: number;
  /** Where strength 0 (the average answer) sits. */
  zero: number;
}

/** One axis for every row, padded a little, so the intervals can be compared by eye. */
export function strengthMarks(rows: LeaderboardRow[]): Map<string, StrengthMark> {
  const values = rows.flatMap((r) => [r.strength, r.ciLow, r.ciHigh, 0]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const marks = new Map<string, StrengthMark>();
  if (!rows.some((r) => r.strength !== null)) return marks;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const at = (v: number) => 4 + ((v - lo) / span) * 92;
  for (const r of rows) {
    if (r.strength === null) continue;
    marks.set(r.model, { point: at(r.strength), low: at(r.ciLow ?? r.strength), high: at(r.ciHigh ?? r.strength), zero: at(0) });
  }
  return marks;
}

/** Whether the server found the top answers' intervals overlapping (absent in older runs). */
export function noClearWinner(meta: RunMetadata | null): boolean {
  return meta?.no_clear_winner === true;
}

/** Each reviewer's vote, as the server counted it; empty in older runs. */
export function voteUses(meta: RunMetadata | null): VoteUse[] {
  return (meta?.votes ?? []).filter((v) => v && typeof v.reviewer === 'string');
}

/** Reviewers that favoured their own answer more than the others did, in words, largest first. */
export function selfPreferenceLines(agreement: Agreement | null | undefined): { reviewer: string; text: string }[] {
  const rows = (agreement?.self_preference_by_reviewer ?? []) as unknown as SelfPreference[];
  return rows
    .filter((r) => typeof r.reviewer === 'string' && typeof r.delta === 'number' && r.pairs > 0)
    .sort((a, b) => (b.delta ?? 0) - (a.delta ?? 0))
    .map((r) => ({
      reviewer: r.reviewer,
      text:
        `put its own answer ahead in ${percent(r.own_win_rate)} of its comparisons; ` +
        `the other reviewers did in ${percent(r.others_win_rate ?? 0)}`,
    }));
}

function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}
