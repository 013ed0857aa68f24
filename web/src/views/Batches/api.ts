/**
 * `/api/batches`: submit many questions to one council, list, watch, cancel, download results.
 * The shapes follow `BatchPublic` (generated types).
 */
import { csrfToken, describeErrorBody, withCsrf } from '../../api/client';
import type { Batch, BatchProgress } from '../../api/types';

export type { Batch, BatchProgress };

export const MAX_QUESTIONS = 1000;

export interface SubmitForm {
  questions: string;
  name: string;
  concurrency: number;
}

async function send<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = withCsrf(init.method, { Accept: 'application/json' }, csrfToken());
  if (init.body) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { ...init, headers });
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

/** One question a line; blank lines left out. */
export function questionsFrom(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export function submitBody(form: SubmitForm): Record<string, unknown> {
  const body: Record<string, unknown> = { questions: questionsFrom(form.questions), concurrency: form.concurrency };
  if (form.name.trim()) body.name = form.name.trim();
  return body;
}

export const batchesApi = {
  list: () => send<{ batches: Batch[] }>('/api/batches').then((r) => r.batches),
  submit: (form: SubmitForm) => send<Batch>('/api/batches', { method: 'POST', body: JSON.stringify(submitBody(form)) }),
  cancel: (id: string) => send<Batch>(`/api/batches/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  resultsUrl: (id: string, format: 'csv' | 'jsonl') =>
    `/api/batches/${encodeURIComponent(id)}/results?format=${format}`,
};

export function isActive(batch: Batch): boolean {
  return batch.status === 'queued' || batch.status === 'running';
}

/** Share of the questions that have ended (answered, failed or skipped), 0…1. */
export function shareEnded(p: BatchProgress): number {
  return p.total > 0 ? Math.min(1, (p.done + p.failed + p.skipped) / p.total) : 0;
}

/** "7 of 20 answered (35%), 1 failed, 2 running" */
export function progressText(batch: Batch): string {
  const p = batch.progress;
  const share = Math.floor((p.total > 0 ? p.done / p.total : 0) * 100);
  const parts = [`${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} answered (${share}%)`];
  if (p.failed) parts.push(`${p.failed.toLocaleString('en')} failed`);
  if (p.skipped) parts.push(`${p.skipped.toLocaleString('en')} skipped`);
  if (p.running) parts.push(`${p.running.toLocaleString('en')} running`);
  return parts.join(', ');
}

/** What a status means to the person who submitted the batch. */
export function statusNote(batch: Batch): string | null {
  switch (batch.status) {
    case 'queued':
      return batch.engine === 'redis' ? 'Waiting for a worker (council worker).' : 'Waiting to start.';
    case 'budget_exhausted':
      return `Stopped: ${batch.error ?? 'a budget is used up'}. The questions not started were skipped.`;
    case 'cancelled':
      return 'Cancelled: the questions not started were skipped.';
    case 'failed':
      return batch.error ?? 'The batch could not go on.';
    default:
      return null;
  }
}

/** The pill's colour for a batch's status. */
export function statusTone(status: string): string {
  switch (status) {
    case 'complete':
      return 'active';
    case 'failed':
    case 'budget_exhausted':
      return 'revoked';
    case 'cancelled':
      return 'soft';
    default:
      return 'hard'; // queued, running
  }
}
