import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Me } from '../../api/types';
import { ROLE_LABEL } from '../../lib/access';
import { formatDateTime } from '../../lib/format';
import { FreshKeyPanel, NewKeyForm } from '../Keys/NewKey';
import { KeyTable } from '../Keys/KeyTable';
import { useKeys } from '../Keys/useKeys';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import { MIN_PASSWORD, passwordProblem } from '../Setup/Setup';

function Facts({ me }: { me: Me }) {
  const user = me.user!;
  return (
    <dl className="facts">
      <div>
        <dt>Username</dt>
        <dd>{user.username}</dd>
      </div>
      {user.display_name && (
        <div>
          <dt>Name</dt>
          <dd>{user.display_name}</dd>
        </div>
      )}
      {user.email && (
        <div>
          <dt>E-mail</dt>
          <dd>{user.email}</dd>
        </div>
      )}
      <div>
        <dt>Role</dt>
        <dd>
          <span className={`pill pill--role-${me.role}`}>{ROLE_LABEL[me.role] ?? me.role}</span>
        </dd>
      </div>
      <div>
        <dt>Scopes</dt>
        <dd>{me.scopes.join(', ')}</dd>
      </div>
      <div>
        <dt>Signs in with</dt>
        <dd>{[user.has_password ? 'password' : null, user.sso ? 'single sign-on' : null].filter(Boolean).join(' and ') || '–'}</dd>
      </div>
      <div>
        <dt>Account created</dt>
        <dd>{formatDateTime(user.created_at)}</dd>
      </div>
      <div>
        <dt>Last sign-in</dt>
        <dd>{formatDateTime(user.last_login_at)}</dd>
      </div>
    </dl>
  );
}

function ChangePassword({ username }: { username: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    const problem = passwordProblem(next, repeat);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.changePassword({ current_password: current, new_password: next });
      setDone(true);
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={submit} aria-label="Change password" noValidate>
      <input type="text" className="visually-hidden" name="username" autoComplete="username" value={username} readOnly tabIndex={-1} aria-hidden="true" />
      <div className="form-row">
        <label className="field">
          <span className="field__label">Current password</span>
          <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">New password</span>
          <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">Repeat the new password</span>
          <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
      </div>
      <p className="field__hint">At least {MIN_PASSWORD} characters. Your other sessions end; this one stays signed in.</p>
      <ErrorNote error={error} />
      {done && (
        <p className="notice notice--ok" role="status">
          Password changed.
        </p>
      )}
      <div>
        <button type="submit" className="btn btn--primary" disabled={busy || !current || !next}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

function OwnKeys({ scopes }: { scopes: string[] }) {
  const keys = useKeys();
  return (
    <Panel title="Your API keys">
      <p className="muted panel__lead">
        For programs: the OpenAI-compatible <code>/v1</code> endpoint, <code>/mcp</code> and this API. A key can do no more
        than your role allows.
      </p>
      {keys.fresh && <FreshKeyPanel fresh={keys.fresh} onDismiss={keys.dismiss} />}
      <NewKeyForm scopes={scopes} onCreate={keys.create} />
      <ErrorNote error={keys.error} />
      {!keys.loading && <KeyTable keys={keys.keys} onRevoke={keys.revoke} label="Your API keys" />}
    </Panel>
  );
}

/** The signed-in person's account: who they are, their password, their API keys. */
export function Account({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const user = me.user;
  if (!user) return null;
  return (
    <Page label="Your account">
      <Panel
        title="Signed in"
        actions={
          <button type="button" className="btn btn--small" onClick={onSignOut}>
            Sign out
          </button>
        }
      >
        <Facts me={me} />
      </Panel>
      {me.scopes.includes('keys') && <OwnKeys scopes={me.scopes} />}
      {user.has_password ? (
        <Panel title="Change password">
          <ChangePassword username={user.username} />
        </Panel>
      ) : (
        <Panel title="Password">
          <p className="muted">This account signs in through single sign-on and has no password here.</p>
        </Panel>
      )}
    </Page>
  );
}
