/** Display helpers for the audit log: a record's details in one line, where a chain broke. */
import type { ChainReport } from '../api/types';

export const AUDIT_ACTIONS = [
  'auth.',
  'auth.login',
  'auth.logout',
  'auth.password_change',
  'key.',
  'key.create',
  'key.revoke',
  'user.',
  'user.create',
  'user.role_change',
  'user.policy_change',
  'user.update',
  'budget.',
  'budget.set',
  'budget.delete',
  'conversation.read',
  'conversation.claim',
  'audit.export',
  'council.run',
];

export const AUDIT_OUTCOMES = ['success', 'failure', 'complete', 'failed', 'cancelled', 'refused'];

function short(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.map(short).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? entries.map(([k, v]) => `${k} ${short(v)}`).join(', ') : '–';
  }
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en') : String(Number(value.toFixed(6)));
  const text = String(value);
  // ISO times to the minute, in UTC as stored: "2026-12-21 20:23 UTC".
  const iso = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)$/.exec(text);
  return iso ? `${iso[1]} ${iso[2]} UTC` : text;
}

/** The details worth a glance, in one line; the full record is one click away. */
export function summariseDetails(details: Record<string, unknown>, max = 4): string {
  const skip = new Set(['owner']);
  const parts = Object.entries(details)
    .filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}: ${short(v)}`);
  const shown = parts.slice(0, max).join(' · ');
  return parts.length > max ? `${shown} · …` : shown;
}

/** The first record at which the chain is not what it should be, or null when it is intact. */
export function firstBreak(report: ChainReport): number | null {
  if (report.ok || report.problems.length === 0) return null;
  return Math.min(...report.problems.map((p) => p.seq));
}

export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}
