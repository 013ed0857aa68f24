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
    case 'signed': {
      const shown = Math.abs(value).toFixed(2);
      return `${shown === '0.00' ? '' : value > 0 ? '+' : '−'}${shown}`;
    }
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

/** The range [0, a round number above every value], for figures with no natural end. */
export function upperDomain(rows: FigureRow[]): [number, number] {
  const values = rows.flatMap((r) => [r.value, r.high]).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  return [0, values.length ? niceCeil(Math.max(...values) * 1.05) : 1];
}

/**
 * Ticks at a round step (1, 2, 2.5 or 5 times a power of ten) that divides the range into at
 * most six parts, with 0 among them when the range spans it.
 */
export function ticksOf([lo, hi]: [number, number]): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const whole = (x: number) => Math.abs(x - Math.round(x)) < 1e-9;
  const power = 10 ** Math.floor(Math.log10(span / 6));
  for (const m of [1, 2, 2.5, 5, 10, 20, 25, 50, 100]) {
    const step = m * power;
    const parts = span / step;
    if (parts > 6 + 1e-9 || !whole(parts) || (lo < 0 && hi > 0 && !whole(-lo / step))) continue;
    return Array.from({ length: Math.round(parts) + 1 }, (_, i) => Number((lo + i * step).toPrecision(6)));
  }
  return [lo, hi];
}

/** A short axis number: "0.003", "250", "1.5k". */
export function compactNumber(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(2)));
}

/** The next value of 1, 1.5, 2, 2.5 or 5 times a power of ten at or above v (v > 0). */
export function niceCeil(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 1.5, 2, 2.5, 5, 10]) if (step * power >= v - 1e-12) return Number((step * power).toPrecision(6));
  return 10 * power;
}
