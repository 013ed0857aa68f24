/**
 * How the analytics page writes numbers: shares as percentages, log-strengths and correlations
 * signed, an interval after its value, and the axis range a chart needs to hold every interval.
 */
import type { Estimate } from '../../api/analytics';
import type { FigureRow } from './shape';

export type FigureKind = 'share' | 'signed' | 'weight';

/** "67 %", "+0.42", "1.30". */
export function formatFigure(value: number | null | undefined, kind: FigureKind): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  switch (kind) {
    case 'share':
      return `${Math.round(value * 100)} %`;
    case 'signed':
      return `${value > 0 ? '+' : value < 0 ? '−' : ''}${Math.abs(value).toFixed(2)}`;
    case 'weight':
      return value.toFixed(2);
  }
}

/** "67 % [30 %, 90 %]", or the value alone when there is no interval. */
export function formatEstimate(e: Pick<Estimate, 'value' | 'ci_low' | 'ci_high'>, kind: FigureKind): string {
  const value = formatFigure(e.value, kind);
  if (e.value === null || e.ci_low === null || e.ci_low === undefined || e.ci_high === null || e.ci_high === undefined) return value;
  return `${value} [${formatFigure(e.ci_low, kind)}, ${formatFigure(e.ci_high, kind)}]`;
}

/**
 * The axis range that holds every value and interval, symmetric around 0 for signed figures
 * (so "better" and "worse" look alike) and [0, 1] for shares.
 */
export function domainOf(rows: FigureRow[], kind: FigureKind): [number, number] {
  if (kind === 'share') return [0, 1];
  const ends = rows.flatMap((r) => [r.value, r.low, r.high]).filter((v): v is number => v !== null && Number.isFinite(v));
  if (kind === 'weight') return [0, niceCeil(Math.max(1, ...ends) * 1.1)];
  const reach = Math.max(0.1, ...ends.map(Math.abs));
  const edge = niceCeil(reach * 1.05);
  return [-edge, edge];
}

/** The next value of 1, 1.5, 2, 2.5 or 5 times a power of ten at or above v (v > 0). */
export function niceCeil(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 1.5, 2, 2.5, 5, 10]) if (step * power >= v - 1e-12) return Number((step * power).toPrecision(6));
  return 10 * power;
}
