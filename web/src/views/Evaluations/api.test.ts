import { describe, expect, it } from 'vitest';
import { formatInterval, formatNet, formData, progressText, shareDone, statusTone, type Evaluation } from './api';

describe('evaluation helpers', () => {
  it('formats a net score with its interval', () => {
    expect(formatNet({ value: 0.25, low: -0.1, high: 0.6 })).toBe('+0.25 [−0.10, +0.60]');
  });

  it('reports the share done, zero before the total is known', () => {
    expect(shareDone({ done: 5, total: 20, failed: 0, reused: 0, running: true })).toBe(0.25);
    expect(shareDone({ done: 0, total: 0, failed: 0, reused: 0, running: true })).toBe(0);
  });

  it('asks for the starter dataset when no file is chosen', () => {
    const data = formData({ file: null, name: ' ', strategies: 'select', judges: '', concurrency: 8, reuse: true });
    expect(data.get('dataset')).toBe('starter');
    expect(data.get('name')).toBeNull();
    expect(data.get('strategies')).toBe('select');
    expect(data.get('concurrency')).toBe('8');
    expect(data.get('reuse')).toBe('true');
  });

  it('formats the interval alone, for the second line of a narrow cell', () => {
    expect(formatInterval({ value: 0, low: -0.333, high: 0 })).toBe('[−0.33, +0.00]');
  });

  it('says how far an evaluation is, with failed and reused calls only when there are some', () => {
    const evaluation = (progress: Evaluation['progress']) => ({ progress }) as Evaluation;
    expect(progressText(evaluation({ done: 12, total: 33, failed: 0, reused: 0, running: true }))).toBe(
      '12 of 33 calls (36%)',
    );
    expect(progressText(evaluation({ done: 1200, total: 1200, failed: 2, reused: 40, running: false }))).toBe(
      '1,200 of 1,200 calls (100%), 2 failed, 40 reused',
    );
  });

  it('colours each status', () => {
    expect(['complete', 'failed', 'interrupted', 'running', 'pending'].map(statusTone)).toEqual([
      'active',
      'revoked',
      'soft',
      'hard',
      'hard',
    ]);
  });
});
