/**
 * A list of API keys, and the secret of the one just created. The server answers a new key's
 * secret once; it is kept here, in memory only, until the person dismisses it, and never enters
 * the list (which holds only what `GET /api/keys` would answer: the prefix). A reload loses it.
 */
import type { ApiKey, ApiKeyCreated } from '../api/types';

export interface FreshKey {
  id: string;
  name: string;
  secret: string;
}

export interface KeysState {
  keys: ApiKey[];
  fresh: FreshKey | null;
}

export type KeysAction =
  | { type: 'loaded'; keys: ApiKey[] }
  | { type: 'created'; key: ApiKeyCreated }
  | { type: 'dismissed' }
  | { type: 'revoked'; id: string; at: string };

export const NO_KEYS: KeysState = { keys: [], fresh: null };

/** The key as a list shows it: everything but the secret. */
export function withoutSecret(created: ApiKeyCreated): ApiKey {
  const { key: _secret, ...rest } = created;
  void _secret;
  return rest;
}

export function keysReducer(state: KeysState, action: KeysAction): KeysState {
  switch (action.type) {
    case 'loaded':
      return { ...state, keys: action.keys };
    case 'created': {
      const listed = withoutSecret(action.key);
      return {
        keys: [listed, ...state.keys.filter((k) => k.id !== listed.id)],
        fresh: { id: listed.id, name: listed.name, secret: action.key.key },
      };
    }
    case 'dismissed':
      return { ...state, fresh: null };
    case 'revoked':
      return {
        keys: state.keys.map((k) => (k.id === action.id ? { ...k, active: false, revoked_at: k.revoked_at ?? action.at } : k)),
        fresh: state.fresh?.id === action.id ? null : state.fresh,
      };
  }
}

export type KeyState = 'active' | 'revoked' | 'expired';

export function keyState(key: ApiKey, now: Date = new Date()): KeyState {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at && new Date(key.expires_at).getTime() <= now.getTime()) return 'expired';
  return key.active ? 'active' : 'revoked';
}
