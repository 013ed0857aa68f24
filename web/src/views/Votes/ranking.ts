import type { PersonalVote } from '../../api/feedback';

/** `order` with the item at `index` moved `delta` places (clamped to the list). */
export function moved<T>(order: readonly T[], index: number, delta: number): T[] {
  const next = [...order];
  const to = Math.max(0, Math.min(order.length - 1, index + delta));
  if (index < 0 || index >= order.length || to === index) return next;
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item as T);
  return next;
}

/** Where a ranking starts: the saved one, else the pick first and the rest in label order. */
export function startingOrder(labels: readonly string[], vote: PersonalVote | null): string[] {
  const saved = vote?.ranking ?? null;
  if (saved && saved.length === labels.length && labels.every((l) => saved.includes(l))) return [...saved];
  const pick = vote?.preferred_label;
  return pick && labels.includes(pick) ? [pick, ...labels.filter((l) => l !== pick)] : [...labels];
}

/**
 * How a person's full ranking compares with the council's leaderboard: the share of pairs of
 * answers both ordered the same way (Kendall's concordance), in words. Null without both.
 */
export function rankingComparison(vote: PersonalVote): string | null {
  const mine = vote.ranking;
  const council = vote.council.places.map((p) => p.label);
  if (!mine || mine.length < 2 || council.length < 2) return null;
  const at = new Map(council.map((label, i) => [label, i]));
  let same = 0;
  let pairs = 0;
  for (let i = 0; i < mine.length; i += 1) {
    for (let j = i + 1; j < mine.length; j += 1) {
      const a = at.get(mine[i] as string);
      const b = at.get(mine[j] as string);
      if (a === undefined || b === undefined) continue;
      pairs += 1;
      if (a < b) same += 1;
    }
  }
  if (pairs === 0) return null;
  return `Your order and the council's agree on ${same} of ${pairs} pairs of answers.`;
}
