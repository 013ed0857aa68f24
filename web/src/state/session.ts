/**
 * Who is using the app: found at start from `GET /api/auth/config` (public) and
 * `GET /api/auth/me`; changed by signing in, the first-run setup, and signing out. A request
 * answered 401 elsewhere (the session expired or was ended) brings the sign-in page back.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, setUnauthorizedHandler } from '../api/client';
import type { AuthConfig, Me } from '../api/types';

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'signed-out'; config: AuthConfig; notice: string | null }
  | { kind: 'signed-in'; config: AuthConfig; me: Me };

/** A server from before sign-in existed has no `/api/auth/config`: it is a local one. */
const LOCAL_CONFIG: AuthConfig = { mode: 'local', setup_required: false, oidc: null };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the start-up requests say, as a session state (pure, for tests). */
export function sessionFrom(config: AuthConfig, me: Me | ApiError): SessionState {
  if (me instanceof ApiError) {
    if (me.status === 401) return { kind: 'signed-out', config, notice: null };
    return { kind: 'unreachable', message: me.message };
  }
  return { kind: 'signed-in', config, me };
}

export function useSession() {
  const [state, setState] = useState<SessionState>({ kind: 'loading' });
  const stateRef = useRef(state);
  stateRef.current = state;
  // While the person signs out, the 401s of requests still on their way are expected: they
  // must not replace "You have signed out" with "Your session has ended".
  const signingOut = useRef(false);

  const refresh = useCallback(async (notice: string | null = null) => {
    let config: AuthConfig;
    try {
      config = await api.authConfig();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) config = LOCAL_CONFIG;
      else {
        setState({ kind: 'unreachable', message: message(err) });
        return;
      }
    }
    let me: Me | ApiError;
    try {
      me = await api.me();
    } catch (err) {
      me = err instanceof ApiError ? err : new ApiError(0, 'unreachable', message(err));
    }
    const next = sessionFrom(config, me);
    setState(next.kind === 'signed-out' ? { ...next, notice } : next);
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // A 401 from any other request: the session ended while the app was open.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (signingOut.current) return;
      if (stateRef.current.kind === 'signed-in' && stateRef.current.me.mode === 'users') {
        void refresh('Your session has ended. Sign in again to continue.');
      }
    });
    return () => setUnauthorizedHandler(null);
  }, [refresh]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      await api.login({ username, password });
      await refresh();
    },
    [refresh],
  );

  const completeSetup = useCallback(
    async (token: string, username: string, password: string) => {
      await api.setup({ token, username, password });
      await refresh();
    },
    [refresh],
  );

  const signOut = useCallback(async () => {
    signingOut.current = true;
    try {
      try {
        await api.logout();
      } catch {
        // Signed out anyway: the session may already have ended.
      }
      await refresh('You have signed out.');
    } finally {
      signingOut.current = false;
    }
  }, [refresh]);

  return { state, refresh, signIn, completeSetup, signOut };
}
