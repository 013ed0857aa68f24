import { describe, expect, it } from 'vitest';
import type { ApiKey, ApiKeyCreated } from '../api/types';
import { keyState, keysReducer, NO_KEYS, withoutSecret } from './keys';

const OLD: ApiKey = {
  id: 'k0',
  user_id: 'u1',
  name: 'old',
  prefix: 'lc_old0000000',
  scopes: ['conversations'],
  created_at: '2026-10-01T00:00:00Z',
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  active: true,
};

const CREATED: ApiKeyCreated = { ...OLD, id: 'k1', name: 'ci', prefix: 'lc_abc123def456', key: 'lc_abc123def456_SECRETSECRET' };

describe('a new key’s secret', () => {
  const loaded = keysReducer(NO_KEYS, { type: 'loaded', keys: [OLD] });
  const created = keysReducer(loaded, { type: 'created', key: CREATED });

  it('is shown after creation, and the list holds only the prefix', () => {
    expect(created.fresh).toEqual({ id: 'k1', name: 'ci', secret: 'lc_abc123def456_SECRETSECRET' });
    expect(created.keys.map((k) => k.id)).toEqual(['k1', 'k0']);
    expect(JSON.stringify(created.keys)).not.toContain('SECRET');
    expect('key' in created.keys[0]!).toBe(false);
  });

  it('stays shown while the list reloads', () => {
    const reloaded = keysReducer(created, { type: 'loaded', keys: [withoutSecret(CREATED), OLD] });
    expect(reloaded.fresh?.secret).toBe('lc_abc123def456_SECRETSECRET');
  });

  it('is gone for good once dismissed', () => {
    const dismissed = keysReducer(created, { type: 'dismissed' });
    expect(dismissed.fresh).toBeNull();
    expect(JSON.stringify(dismissed)).not.toContain('SECRET');
    const again = keysReducer(dismissed, { type: 'loaded', keys: dismissed.keys });
    expect(again.fresh).toBeNull();
  });

  it('is gone when that key is revoked', () => {
    const revoked = keysReducer(created, { type: 'revoked', id: 'k1', at: '2026-11-21T00:00:00Z' });
    expect(revoked.fresh).toBeNull();
    expect(keyState(revoked.keys[0]!)).toBe('revoked');
    expect(keyState(revoked.keys[1]!)).toBe('active');
  });
});

describe('a key’s state', () => {
  it('is expired after its expiry', () => {
    const now = new Date('2026-11-21T00:00:00Z');
    expect(keyState({ ...OLD, expires_at: '2026-11-20T00:00:00Z' }, now)).toBe('expired');
    expect(keyState({ ...OLD, expires_at: '2026-12-20T00:00:00Z' }, now)).toBe('active');
  });
});
