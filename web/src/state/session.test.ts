import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { AuthConfig, Me } from '../api/types';
import { sessionFrom } from './session';

const USERS: AuthConfig = { mode: 'users', setup_required: false, oidc: null };

describe('the session at start-up', () => {
  it('asks to sign in when the server answers 401', () => {
    expect(sessionFrom(USERS, new ApiError(401, 'unauthenticated', 'sign in'))).toEqual({ kind: 'signed-out', config: USERS, notice: null });
  });

  it('says so when the server cannot be reached', () => {
    expect(sessionFrom(USERS, new ApiError(0, 'unreachable', 'Failed to fetch')).kind).toBe('unreachable');
  });

  it('is signed in, also in local mode with nobody signing in', () => {
    const local = { mode: 'local', kind: 'local', user: null, role: 'admin', scopes: [], api_key_id: null, csrf_token: null, read_all_conversations: false } as Me;
    expect(sessionFrom({ ...USERS, mode: 'local' }, local).kind).toBe('signed-in');
  });
});
