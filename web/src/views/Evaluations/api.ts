/**
 * `/api/evaluations`: start (multipart upload), list, status with progress, report.
 * The shapes are the server's (`EvaluationPublic`, `EvaluationReport`), generated from its schema.
 */
import { csrfToken, describeErrorBody, withCsrf } from '../../api/client';
import type { Evaluation, EvaluationProgress, EvaluationReport, Interval } from '../../api/types';

export type { Evaluation, EvaluationProgress, EvaluationReport, Interval };

export interface StartForm {
  file: File | null;
  name: string;
  strategies: string;
  judges: string;
  concurrency: number;
  reuse: boolean;
}

async function send<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: withCsrf(init.method, { Accept: 'application/json' }, csrfToken()),
  });
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: keep the status alone
    }
    throw describeErrorBody(response.status, body);
  }
  return (await response.json()) as T;
}

export function formData(form: StartForm): FormData {
  const data = new FormData();
  if (form.file) data.append('file', form.file);
  else data.append('dataset', 'starter');
  if (form.name.trim()) data.append('name', form.name.trim());
  if (form.strategies.trim()) data.append('strategies', form.strategies.trim());
  if (form.judges.trim()) data.append('judges', form.judges.trim());
  data.append('concurrency', String(form.concurrency));
  data.append('reuse', form.reuse ? 'true' : 'false');
  return data;
}

export const evaluationsApi = {
  list: () => send<{ evaluations: Evaluation[] }>('/api/evaluations').then((r) => r.evaluations),
  get: (id: string) => send<Evaluation>(`/api/evaluations/${encodeURIComponent(id)}`),
  start: (form: StartForm) => send<Evaluation>('/api/evaluations', { method: 'POST', body: formData(form) }),
  resume: (id: string) => send<Evaluation>(`/api/evaluations/${encodeURIComponent(id)}/resume`, { method: 'POST' }),
  report: (id: string) => send<EvaluationReport>(`/api/evaluations/${encodeURIComponent(id)}/report`),
  htmlUrl: (id: string) => `/api/evaluations/${encodeURIComponent(id)}/report.html`,
};

/** "+0.25", "−0.10" */
export function formatSigned(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
}

/** "[−0.10, +0.60]" */
export function formatInterval(net: Interval): string {
  return `[${formatSigned(net.low)}, ${formatSigned(net.high)}]`;
}

/** "+0.25 [−0.10, +0.60]" */
export function formatNet(net: Interval): string {
  return `${formatSigned(net.value)} ${formatInterval(net)}`;
}

/** Share done, 0…1 (0 before the total is known). */
export function shareDone(p: EvaluationProgress): number {
  return p.total > 0 ? Math.min(1, p.done / p.total) : 0;
}

/** "12 of 33 calls (36%), 1 failed, 4 reused" */
export function progressText(evaluation: Evaluation): string {
  const p = evaluation.progress;
  const share = Math.floor(shareDone(p) * 100);
  const parts = [`${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} calls (${share}%)`];
  if (p.failed) parts.push(`${p.failed.toLocaleString('en')} failed`);
  if (p.reused) parts.push(`${p.reused.toLocaleString('en')} reused`);
  return parts.join(', ');
}

/** The pill's colour for an evaluation's status. */
export function statusTone(status: string): string {
  switch (status) {
    case 'complete':
      return 'active';
    case 'failed':
      return 'revoked';
    case 'interrupted':
      return 'soft';
    default:
      return 'hard'; // pending, running
  }
}
