import { describe, expect, it } from 'vitest';
import { formatNet, formData, shareDone } from './api';

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
});
