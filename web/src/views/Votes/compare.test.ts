import { describe, expect, it } from 'vitest';
import type { PersonalVote } from '../../api/feedback';
import { councilComparison, ordinal } from './compare';

function vote(pick: string | null, order: string[], noClearWinner = false): PersonalVote {
  return {
    preferred_label: pick,
    council: {
      winner_label: order[0] ?? null,
      winner_model: null,
      no_clear_winner: noClearWinner,
      places: order.map((label) => ({
        label,
        model: `m/${label}`,
        strength: null,
        ci_low: null,
        ci_high: null,
        average_rank: null,
        first_place_votes: null,
      })),
    },
  } as unknown as PersonalVote;
}

describe('councilComparison', () => {
  it('places the pick in the council ranking', () => {
    expect(councilComparison(vote('Response B', ['Response A', 'Response B', 'Response C', 'Response D']))).toBe(
      'You preferred Response B; the council ranked it 2nd of 4.',
    );
  });
  it('says when the person agrees with the council', () => {
    expect(councilComparison(vote('Response C', ['Response C', 'Response A']))).toBe(
      'You preferred Response C; the council ranked it 1st of 2: you agree.',
    );
  });
  it('does not claim agreement without a clear winner', () => {
    expect(councilComparison(vote('Response A', ['Response A', 'Response B'], true))).toContain('no clear winner');
  });
  it('says nothing without a pick, and says when the pick was not ranked', () => {
    expect(councilComparison(vote(null, ['Response A']))).toBeNull();
    expect(councilComparison(vote('Response E', ['Response A']))).toContain('did not rank it');
  });
  it('writes ordinals', () => {
    expect([1, 2, 3, 4, 11].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th']);
  });
});
