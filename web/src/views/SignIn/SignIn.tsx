import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { AuthConfig } from '../../api/types';
import { hrefOf } from '../../lib/route';
import { errorText } from '../Common/Page';
import { AuthScreen } from './AuthScreen';

/** Username and password (and single sign-on when configured), posted as JSON. */
export function SignIn({
  config,
  notice,
  onSignIn,
}: {
  config: AuthConfig;
  notice: string | null;
  onSignIn: (username: string, password: string) => Promise<void>;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);
  const usernameInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    usernameInput.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSignIn(username.trim(), password);
    } catch (err) {
      setError(`Could not sign in: ${errorText(err)}.`.replace(/\.\.$/, '.'));
      setPassword('');
      passwordInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  // Back to where the person was after single sign-on (a path on this server only).
  const next = `/${typeof window !== 'undefined' ? window.location.hash : ''}`;
  return (
    <AuthScreen title="Sign in">
      {notice && !error && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {config.setup_required && (
        <p className="notice notice--warn" role="note">
          No administrator exists yet. Open the one-time setup link the server printed on its console (
          <a href={hrefOf({ kind: 'setup', token: null })}>or enter its token here</a>), or run{' '}
          <code>council users create --admin NAME</code> on the server.
        </p>
      )}
      <form className="auth-form" onSubmit={submit} aria-label="Sign in" noValidate>
        <label className="field">
          <span className="field__label">Username</span>
          <input
            ref={usernameInput}
            name="username"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span className="field__label">Password</span>
          <input
            ref={passwordInput}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'sign-in-error' : undefined}
          />
        </label>
        {error && (
          <p className="notice notice--error" role="alert" id="sign-in-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn--primary auth-form__submit" disabled={busy || !username.trim() || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {config.oidc?.enabled && (
        <>
          <p className="auth-card__or muted">or</p>
          <a className="btn auth-form__submit" href={api.oidcLoginUrl(next)}>
            {config.oidc.label || 'Sign in with single sign-on'}
          </a>
        </>
      )}
    </AuthScreen>
  );
}
