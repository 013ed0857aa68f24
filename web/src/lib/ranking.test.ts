import { describe, expect, it } from 'vitest';
import { METADATA, LABELS } from '../test/fixtures';
import type { RunMetadata } from '../api/types';
import {
  describeAgreement,
  leaderboard,
  noClearWinner,
  parseQuality,
  rankedItems,
  reviewStatus,
  selfPreferenceLines,
  strengthMarks,
  voteUses,
  type ReviewFacts,
} from './ranking';

describe('parseQuality', () => {
  it('is ok for a clean parse', () => {
    expect(parseQuality('ok', ['Response A'], [])).toBe('ok');
    expect(parseQuality('structured', ['Response A'], [])).toBe('ok');
  });
  it('is failed for an empty ranking or a failed status', () => {
    expect(parseQuality('ok', [], [])).toBe('failed');
    expect(parseQuality('failed', ['Response A'], [])).toBe('failed');
  });
  it('is partial when something was repaired or reported', () => {
    expect(parseQuality('ok', ['Response A'], ['duplicate label'])).toBe('partial');
    expect(parseQuality('fallback_regex', ['Response A'], [])).toBe('partial');
  });
});

describe('rankedItems', () => {
  it('shows the models behind the labels, best first, marking the own answer', () => {
    expect(rankedItems(['Response C', 'Response A'], LABELS, 'Response A')).toEqual([
      { position: 1, label: 'Response C', model: 'x-ai/grok-4', own: false },
      { position: 2, label: 'Response A', model: 'openai/gpt-5.1', own: true },
    ]);
  });
});

describe('leaderboard', () => {
  it('sorts by average rank; ties share a place', () => {
    const rows = leaderboard(METADATA);
    expect(rows.map((r) => [r.place, r.model])).toEqual([
      [1, 'google/gemini-3-pro-preview'],
      [1, 'openai/gpt-5.1'],
      [3, 'x-ai/grok-4'],
    ]);
    expect(rows[1]).toMatchObject({ votes: 2, firstPlaceVotes: 1, selfRankAverage: 1, label: 'Response A' });
  });

  it("falls back to the original's aggregate_rankings", () => {
    const rows = leaderboard({ ...METADATA, aggregate: [] });
    expect(rows.map((r) => r.model)).toEqual(['google/gemini-3-pro-preview', 'openai/gpt-5.1', 'x-ai/grok-4']);
    expect(rows[0]!.firstPlaceVotes).toBeNull();
  });

  it('is empty without metadata', () => {
    expect(leaderboard(null)).toEqual([]);
  });
});

describe('describeAgreement', () => {
  it('puts Kendall W in words', () => {
    expect(describeAgreement({ kendall_w: 0.9, mean_pairwise_tau: null, reviewers: 3, self_preference: null, self_votes_excluded: true })).toBe('strong agreement');
    expect(describeAgreement({ kendall_w: 0.05, mean_pairwise_tau: null, reviewers: 3, self_preference: null, self_votes_excluded: true })).toBe('no agreement');
    expect(describeAgreement(null)).toMatch(/not enough/);
  });
});

const settled: ReviewFacts = { settled: true, parseStatus: 'ok', parsedRanking: ['Response B', 'Response A'], parseIssues: [] };

describe('reviewStatus', () => {
  it('says nothing before the review is read, whatever it looks like', () => {
    expect(reviewStatus({ ...settled, settled: false, parsedRanking: [], parseStatus: null })).toBeNull();
  });

  it('counts a trusted complete ranking in full', () => {
    expect(reviewStatus(settled)).toMatchObject({ tone: 'ok', summary: 'Counted in full', reminder: null });
  });

  it('counts a partial ranking as its top k, with the reason', () => {
    const status = reviewStatus({ ...settled, parseStatus: 'partial', parsedRanking: ['Response C'], parseReason: 'only the winner was named' });
    expect(status).toMatchObject({ tone: 'partial', summary: 'Counted as its top 1 only — only the winner was named' });
  });

  it('does not count a failed ranking and says why', () => {
    const status = reviewStatus({ ...settled, parseStatus: 'failed', parsedRanking: [], parseReason: 'the reviewer declined to rank' });
    expect(status).toMatchObject({ tone: 'failed', summary: 'Not counted — the reviewer declined to rank' });
  });

  it("treats an older run's no_header as not counted, with its issue as the reason", () => {
    const status = reviewStatus({ ...settled, parseStatus: 'no_header', parseIssues: ['no FINAL RANKING section'] });
    expect(status).toMatchObject({ tone: 'failed', summary: 'Not counted — no FINAL RANKING section' });
  });

  it("uses the server's note for a counted review", () => {
    const status = reviewStatus({ ...settled, vote: { counted: 'full', note: 'Counted in full. Its own answer is left out.' } });
    expect(status?.summary).toBe('Counted in full. Its own answer is left out.');
  });

  it("follows the server's vote when there is one", () => {
    const status = reviewStatus({ ...settled, vote: { counted: 'none', note: 'its ranking named its own answer only' } });
    expect(status).toMatchObject({ tone: 'failed', summary: 'Not counted — its ranking named its own answer only' });
  });

  it('says when the reviewer needed a reminder, and when even that failed', () => {
    expect(reviewStatus({ ...settled, repair: { asked: true, reply: '1. B', status: 'ok' } })?.reminder).toBe('Needed one reminder to give its ranking');
    const twice = reviewStatus({ ...settled, parseStatus: 'failed', parsedRanking: [], repair: { asked: true, reply: '?', status: 'failed' } });
    expect(twice?.reminder).toMatch(/could not be read either/);
  });
});

const STRENGTHS: RunMetadata = {
  ...METADATA,
  no_clear_winner: true,
  aggregate: [
    { model: 'x-ai/grok-4', label: 'Response C', average_rank: 2, rankings_count: 2, first_place_votes: 0, self_rank_average: null, strength: 0.9, ci_low: 0.1, ci_high: 1.7 },
    { model: 'openai/gpt-5.1', label: 'Response A', average_rank: 1.5, rankings_count: 2, first_place_votes: 1, self_rank_average: 1, strength: 0.2, ci_low: -0.6, ci_high: 1 },
    { model: 'google/gemini-3-pro-preview', label: 'Response B', average_rank: 1.5, rankings_count: 2, first_place_votes: 1, self_rank_average: null, strength: -1.1, ci_low: -1.9, ci_high: -0.3 },
  ],
  votes: [
    { reviewer: 'openai/gpt-5.1', counted: 'full', note: '' },
    { reviewer: 'x-ai/grok-4', counted: 'none', note: 'no ranking could be read' },
  ],
};

describe('leaderboard with strengths', () => {
  it("keeps the server's strength order, not the average rank, and carries the intervals", () => {
    const rows = leaderboard(STRENGTHS);
    expect(rows.map((r) => [r.place, r.model])).toEqual([
      [1, 'x-ai/grok-4'],
      [2, 'openai/gpt-5.1'],
      [3, 'google/gemini-3-pro-preview'],
    ]);
    expect(rows[0]).toMatchObject({ strength: 0.9, ciLow: 0.1, ciHigh: 1.7 });
  });

  it('places every interval on one axis, inside the chart, in order', () => {
    const marks = strengthMarks(leaderboard(STRENGTHS));
    const grok = marks.get('x-ai/grok-4')!;
    const gemini = marks.get('google/gemini-3-pro-preview')!;
    expect(gemini.low).toBeCloseTo(4);
    expect(grok.high).toBeCloseTo(96);
    expect(gemini.low).toBeLessThan(gemini.point);
    expect(gemini.point).toBeLessThan(gemini.zero);
    expect(grok.low).toBeLessThan(grok.point);
    expect(grok.point).toBeLessThan(grok.high);
  });

  it('has no marks for an older run without strengths', () => {
    expect(strengthMarks(leaderboard(METADATA)).size).toBe(0);
  });

  it('reads no_clear_winner and the votes, and their absence in older runs', () => {
    expect(noClearWinner(STRENGTHS)).toBe(true);
    expect(noClearWinner(METADATA)).toBe(false);
    expect(voteUses(STRENGTHS).map((v) => v.counted)).toEqual(['full', 'none']);
    expect(voteUses(METADATA)).toEqual([]);
  });
});

describe('selfPreferenceLines', () => {
  it('names the reviewers that favoured their own answer, the largest first', () => {
    const agreement = {
      reviewers: 3,
      self_votes_excluded: true,
      self_preference_by_reviewer: [
        { reviewer: 'openai/gpt-5.1', pairs: 2, own_win_rate: 0.5, others_win_rate: 0.5, delta: 0 },
        { reviewer: 'x-ai/grok-4', pairs: 2, own_win_rate: 1, others_win_rate: 0.25, delta: 0.75 },
        { reviewer: 'google/gemini-3-pro-preview', pairs: 0, own_win_rate: 0, others_win_rate: null, delta: null },
      ],
    };
    expect(selfPreferenceLines(agreement)).toEqual([
      { reviewer: 'x-ai/grok-4', text: 'put its own answer ahead in 100 % of its comparisons; the other reviewers did in 25 %' },
      { reviewer: 'openai/gpt-5.1', text: 'put its own answer ahead in 50 % of its comparisons; the other reviewers did in 50 %' },
    ]);
    expect(selfPreferenceLines(undefined)).toEqual([]);
  });
});
