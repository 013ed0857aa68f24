import { describe, expect, it } from 'vitest';
import { firstBreak, summariseDetails } from './audit';

describe('audit records', () => {
  it('are summarised in one line', () => {
    expect(summariseDetails({ method: 'password' })).toBe('method: password');
    expect(summariseDetails({ preset: 'default', models: ['a', 'b'], tokens: 12345, cost: 0.0012345678, owner: 'u1', error: null })).toBe(
      'preset: default · models: a, b · tokens: 12,345 · cost: 0.001235',
    );
    expect(summariseDetails({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('a: 1 · b: 2 · c: 3 · d: 4 · …');
    expect(summariseDetails({ redactions: { EMAIL: 2 } })).toBe('redactions: EMAIL 2');
    expect(summariseDetails({ expires_at: '2026-12-21T20:23:58.022990+00:00' })).toBe('expires_at: 2026-12-21 20:23 UTC');
  });

  it('say where the chain first broke', () => {
    expect(firstBreak({ ok: true, records: 3, head: { seq: 3, hash: 'h' }, problems: [] })).toBeNull();
    const report = {
      ok: false,
      records: 70,
      head: { seq: 70, hash: 'h' },
      problems: [
        { seq: 60, kind: 'missing', message: 'record 60 is missing' },
        { seq: 57, kind: 'altered', message: 'record 57 (council.run) was altered' },
      ],
    };
    expect(firstBreak(report)).toBe(57);
  });
});
