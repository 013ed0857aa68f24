import { describe, expect, it } from 'vitest';
import { METADATA, LABELS } from '../test/fixtures';
import { describeAgreement, leaderboard, parseQuality, rankedItems } from './ranking';

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
