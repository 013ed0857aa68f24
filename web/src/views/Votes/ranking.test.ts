import { describe, expect, it } from 'vitest';
import type { PersonalVote } from '../../api/feedback';
import { moved, rankingComparison, startingOrder } from './ranking';

const vote = (over: Partial<PersonalVote>): PersonalVote =>
  ({
    preferred_label: null,
    ranking: null,
    council: { places: [], no_clear_winner: false },
    ...over,
  }) as unknown as PersonalVote;

const places = (...labels: string[]) => labels.map((label, i) => ({ label, model: `m${i}` }));

describe('moved', () => {
  it('moves up and down within the list', () => {
    expect(moved(['A', 'B', 'C'], 2, -1)).toEqual(['A', 'C', 'B']);
    expect(moved(['A', 'B', 'C'], 0, 1)).toEqual(['B', 'A', 'C']);
  });
  it('stays put at either end', () => {
    expect(moved(['A', 'B'], 0, -1)).toEqual(['A', 'B']);
    expect(moved(['A', 'B'], 1, 1)).toEqual(['A', 'B']);
  });
});

describe('startingOrder', () => {
  const labels = ['Response A', 'Response B', 'Response C'];
  it('starts from a saved ranking', () => {
    const saved = ['Response C', 'Response A', 'Response B'];
    expect(startingOrder(labels, vote({ ranking: saved }))).toEqual(saved);
  });
  it('puts the pick first when there is no ranking', () => {
    expect(startingOrder(labels, vote({ preferred_label: 'Response B' }))).toEqual([
      'Response B',
      'Response A',
      'Response C',
    ]);
  });
  it('ignores a ranking of other answers', () => {
    expect(startingOrder(labels, vote({ ranking: ['Response A', 'Response Z'] }))).toEqual(labels);
  });
});

describe('rankingComparison', () => {
  it('counts the pairs ordered alike', () => {
    const v = vote({
      ranking: ['A', 'B', 'C'],
      council: { places: places('A', 'C', 'B'), no_clear_winner: false } as PersonalVote['council'],
    });
    expect(rankingComparison(v)).toBe("Your order and the council's agree on 2 of 3 pairs of answers.");
  });
  it('says nothing without a ranking or a leaderboard', () => {
    expect(rankingComparison(vote({}))).toBeNull();
    expect(rankingComparison(vote({ ranking: ['A', 'B'] }))).toBeNull();
  });
});
