import { useCallback, useEffect, useReducer, useState } from 'react';
import { api } from '../../api/client';
import type { ApiKey, ApiKeyCreate } from '../../api/types';
import { keysReducer, NO_KEYS } from '../../state/keys';
import { errorText } from '../Common/Page';

/** A list of keys from the server (the caller's own, or everyone's), with create and revoke. */
export function useKeys(options: { everyone?: boolean } = {}) {
  const everyone = options.everyone ?? false;
  const [state, dispatch] = useReducer(keysReducer, NO_KEYS);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = useCallback(async () => {
    try {
      dispatch({ type: 'loaded', keys: await api.listKeys({ everyone }) });
      setError(null);
    } catch (err) {
      setError(`Could not load the API keys: ${errorText(err)}`);
    } finally {
      setLoading(false);
    }
  }, [everyone]);

  useEffect(() => {
    void load();
  }, [load]);

  const create = useCallback(async (body: ApiKeyCreate) => {
    dispatch({ type: 'created', key: await api.createKey(body) });
  }, []);

  const revoke = useCallback(
    async (key: ApiKey) => {
      try {
        await api.revokeKey(key.id);
        dispatch({ type: 'revoked', id: key.id, at: new Date().toISOString() });
        setError(null);
        void load();
      } catch (err) {
        setError(`Could not revoke “${key.name}”: ${errorText(err)}`);
      }
    },
    [load],
  );

  return { ...state, error, loading, create, revoke, dismiss: () => dispatch({ type: 'dismissed' }), reload: load };
}
