import type { Usage } from '../api/types';

export function formatSeconds(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The tokens a model produced (completion), else whatever total the upstream reported. */
export function formatTokens(usage: Usage | null | undefined): string | null {
  if (!usage) return null;
  const out = usage.completion_tokens || usage.total_tokens;
  if (!out) return null; // a degraded stand-in reports zero: nothing was generated
  return `${out.toLocaleString('en')} tok`;
}

export function formatNumber(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return n.toFixed(digits);
}

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export const FAILURE_KIND_TEXT: Record<string, string> = {
  auth: 'authentication failed',
  payment_required: 'payment required',
  model_not_found: 'model not found',
  bad_request: 'bad request',
  rate_limited: 'rate limited',
  upstream_5xx: 'upstream server error',
  timeout: 'timed out',
  connection: 'connection failed',
  malformed_response: 'malformed response',
  circuit_open: 'circuit open (too many recent failures)',
};

/** A moment in the viewer's time zone, the year only when it is not this one: "Nov 21, 8:15 PM". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const thisYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, { year: thisYear ? undefined : 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en');
}

/** An amount of money: 4 decimals below one unit (model calls are cheap), else 2. */
export function formatCost(n: number | null | undefined, currency: string): string {
  if (n === null || n === undefined) return '–';
  const digits = n !== 0 && Math.abs(n) < 1 ? 4 : 2;
  return `${n.toFixed(digits)} ${currency}`;
}

/** A `datetime-local` field's value (the viewer's time) as an ISO time in UTC; '' stays ''. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
