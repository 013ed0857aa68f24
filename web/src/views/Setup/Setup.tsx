import { useId, useState, type FormEvent } from 'react';
import { hrefOf } from '../../lib/route';
import { errorText } from '../Common/Page';
import { AuthScreen } from '../SignIn/AuthScreen';

export const MIN_PASSWORD = 12;

/** Why a new password cannot be used yet, or null: the server's rule is 12 characters. */
export function passwordProblem(password: string, repeat: string): string | null {
  if (password.length < MIN_PASSWORD) return `The password needs at least ${MIN_PASSWORD} characters.`;
  if (password !== repeat) return 'The two passwords differ.';
  return null;
}

/**
 * First run: create the first administrator with the one-time token the server printed on its
 * console (`/setup?token=…`). The token may also be pasted here.
 */
export function Setup({
  token: tokenFromLink,
  setupRequired,
  onSetup,
}: {
  token: string | null;
  setupRequired: boolean;
  onSetup: (token: string, username: string, password: string) => Promise<void>;
}) {
  const [token, setToken] = useState(tokenFromLink ?? '');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  if (!setupRequired) {
    return (
      <AuthScreen title="Setup is done">
        <p>An administrator exists already, so this one-time link has no use any more.</p>
        <a className="btn btn--primary auth-form__submit" href={`/${hrefOf({ kind: 'home' })}`}>
          Go to sign-in
        </a>
      </AuthScreen>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordProblem(password, repeat);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSetup(token.trim(), username.trim(), password);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthScreen title="Create the first administrator">
      <p className="muted">
        This account manages the others: users, API keys, budgets and the audit log. The setup link works once and expires;
        a restarted server prints a new one.
      </p>
      <form className="auth-form" onSubmit={submit} aria-label="First-run setup" noValidate>
        {!tokenFromLink && (
          <div className="field">
            <label className="field__label" htmlFor={`${id}-token`}>
              Setup token
            </label>
            <input
              id={`${id}-token`}
              type="text"
              autoComplete="off"
              spellCheck={false}
              required
              value={token}
              onChange={(e) => setToken(e.target.value)}
              aria-describedby={`${id}-token-hint`}
            />
            <span className="field__hint" id={`${id}-token-hint`}>
              The part after <code>token=</code> in the link on the server’s console.
            </span>
          </div>
        )}
        <label className="field">
          <span className="field__label">Username</span>
          <input type="text" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-password`}>
            Password
          </label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={`${id}-password-hint`}
          />
          <span className="field__hint" id={`${id}-password-hint`}>
            At least {MIN_PASSWORD} characters.
          </span>
        </div>
        <label className="field">
          <span className="field__label">Repeat the password</span>
          <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        {error && (
          <p className="notice notice--error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn--primary auth-form__submit" disabled={busy || !token.trim() || !username.trim() || !password}>
          {busy ? 'Creating…' : 'Create administrator and sign in'}
        </button>
      </form>
    </AuthScreen>
  );
}
