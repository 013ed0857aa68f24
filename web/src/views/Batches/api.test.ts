import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute } from '../../lib/route';
import { progressText, questionsFrom, shareEnded, statusNote, statusTone, submitBody, type Batch } from './api';

function batch(over: Partial<Batch> = {}, progress: Partial<Batch['progress']> = {}): Batch {
  return {
    id: 'b1',
    name: 'geography',
    status: 'running',
    preset: null,
    mode: null,
    concurrency: 2,
    error: null,
    engine: 'local',
    created_at: '2026-12-04T05:00:00Z',
    started_at: null,
    finished_at: null,
    progress: { total: 20, pending: 10, running: 2, done: 7, failed: 1, skipped: 0, ...progress },
    ...over,
  };
}

describe('batches', () => {
  it('reads one question a line, leaving blank lines out', () => {
    expect(questionsFrom('  Why?\n\n\r\nHow?  \r\n')).toEqual(['Why?', 'How?']);
    expect(submitBody({ questions: 'a\nb', name: '  ', concurrency: 3 })).toEqual({ questions: ['a', 'b'], concurrency: 3 });
    expect(submitBody({ questions: 'a', name: ' maths ', concurrency: 1 })).toMatchObject({ name: 'maths' });
  });

  it('says how far a batch is', () => {
    expect(progressText(batch())).toBe('7 of 20 answered (35%), 1 failed, 2 running');
    expect(progressText(batch({}, { done: 18, failed: 0, skipped: 2, running: 0 }))).toBe(
      '18 of 20 answered (90%), 2 skipped',
    );
    expect(shareEnded(batch().progress)).toBeCloseTo(0.4);
    expect(shareEnded(batch({}, { total: 0 }).progress)).toBe(0);
  });

  it('explains a stopped batch and colours its status', () => {
    const broke = batch({ status: 'budget_exhausted', error: 'your daily budget is used up' });
    expect(statusNote(broke)).toContain('your daily budget is used up');
    expect(statusNote(batch({ status: 'queued', engine: 'redis' }))).toContain('council worker');
    expect(statusNote(batch())).toBeNull();
    expect(statusTone('complete')).toBe('active');
    expect(statusTone('budget_exhausted')).toBe('revoked');
    expect(statusTone('queued')).toBe('hard');
  });

  it('has a page of its own', () => {
    expect(parseRoute('#/batches')).toEqual({ kind: 'batches' });
    expect(hrefOf({ kind: 'batches' })).toBe('#/batches');
  });
});
