import type { PersonalVote } from '../../api/feedback';

const ORDINALS = ['1st', '2nd', '3rd'];

export function ordinal(n: number): string {
  return ORDINALS[n - 1] ?? `${n}th`;
}

/**
 * How the council placed the answer the person picked: "You preferred Response B; the council
 * ranked it 2nd of 4." — or why it cannot say.
 */
export function councilComparison(vote: PersonalVote): string | null {
  const pick = vote.preferred_label;
  if (!pick) return null;
  const places = vote.council.places;
  const at = places.findIndex((p) => p.label === pick);
  if (at < 0) return `You preferred ${pick}; the council's review did not rank it.`;
  const agreed = at === 0 && !vote.council.no_clear_winner;
  const place = `the council ranked it ${ordinal(at + 1)} of ${places.length}`;
  const tail = vote.council.no_clear_winner ? ' (the council had no clear winner)' : agreed ? ': you agree' : '';
  return `You preferred ${pick}; ${place}${tail}.`;
}
