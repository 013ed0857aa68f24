import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Role, User, UserCreate } from '../../api/types';
import { ROLE_LABEL } from '../../lib/access';
import { formatDateTime } from '../../lib/format';
import { ConfirmButton } from '../Common/ConfirmButton';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import { MIN_PASSWORD, passwordProblem } from '../Setup/Setup';

const ROLES: Role[] = ['member', 'auditor', 'admin'];

function signInText(u: User): string {
  if (u.has_password && u.sso) return 'password or SSO';
  if (u.sso) return 'SSO only';
  return u.has_password ? 'password' : 'no way in yet';
}

function CreateUser({ onCreated, onCancel }: { onCreated: (user: User) => void; onCancel: () => void }) {
  const empty: UserCreate = { username: '', role: 'member', password: '', display_name: '', email: '' };
  const [form, setForm] = useState<UserCreate>(empty);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<UserCreate>) => setForm((f) => ({ ...f, ...patch }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const password = form.password ?? '';
    if (password && password.length < MIN_PASSWORD) {
      setError(`The password needs at least ${MIN_PASSWORD} characters (or leave it empty for single sign-on only).`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await api.createUser({
        username: form.username.trim(),
        role: form.role,
        password: password || null,
        display_name: form.display_name?.trim() || null,
        email: form.email?.trim() || null,
      });
      onCreated(user);
      setForm(empty);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack subpanel" onSubmit={submit} aria-label="Create a user" noValidate>
      <h4 className="subpanel__title">New user</h4>
      <div className="form-row">
        <label className="field">
          <span className="field__label">Username</span>
          <input type="text" autoComplete="off" autoCapitalize="none" spellCheck={false} required value={form.username} onChange={(e) => set({ username: e.target.value })} />
        </label>
        <label className="field">
          <span className="field__label">Role</span>
          <select value={form.role ?? 'member'} onChange={(e) => set({ role: e.target.value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Initial password</span>
          <input type="password" autoComplete="new-password" value={form.password ?? ''} onChange={(e) => set({ password: e.target.value })} />
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span className="field__label">Display name (optional)</span>
          <input type="text" value={form.display_name ?? ''} onChange={(e) => set({ display_name: e.target.value })} />
        </label>
        <label className="field">
          <span className="field__label">E-mail (optional)</span>
          <input type="email" value={form.email ?? ''} onChange={(e) => set({ email: e.target.value })} />
        </label>
      </div>
      <p className="field__hint">
        At least {MIN_PASSWORD} characters; give it to the person to change at their first sign-in. No password: the account signs
        in through single sign-on only.
      </p>
      <ErrorNote error={error} />
      <div className="row-actions row-actions--start">
        <button type="submit" className="btn btn--primary" disabled={busy || !form.username.trim()}>
          {busy ? 'Creating…' : 'Create user'}
        </button>
        <button type="button" className="btn btn--ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ResetPassword({ user, onDone, onCancel }: { user: User; onDone: (user: User) => void; onCancel: () => void }) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = passwordProblem(password, repeat);
    if (problem) return setError(problem);
    try {
      onDone(await api.updateUser(user.id, { password }));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="stack inline-form" onSubmit={submit} aria-label={`New password for ${user.username}`} noValidate>
      <div className="form-row">
        <label className="field">
          <span className="field__label">New password for {user.username}</span>
          <input type="password" autoComplete="new-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">Repeat it</span>
          <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
        </label>
        <button type="submit" className="btn btn--primary">
          Set password
        </button>
        <button type="button" className="btn btn--ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p className="field__hint">Their sessions end at once.</p>
      <ErrorNote error={error} />
    </form>
  );
}

/** Accounts: create, change role, deactivate or activate, reset a password. Never deleted. */
export function Users({ selfId }: { selfId: string | null }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const load = useCallback(async () => {
    try {
      setUsers((await api.listUsers()) as User[]);
    } catch (err) {
      setError(`Could not load the users: ${errorText(err)}`);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const replace = (user: User) => setUsers((list) => (list ?? []).map((u) => (u.id === user.id ? user : u)));

  const change = async (user: User, patch: { role?: Role; active?: boolean }, what: string) => {
    setError(null);
    setNotice(null);
    try {
      replace(await api.updateUser(user.id, patch));
      setNotice(what);
    } catch (err) {
      setError(`Could not change ${user.username}: ${errorText(err)}`);
      void load();
    }
  };

  return (
    <Page label="Users">
      <Panel
        title="Accounts"
        actions={
          !creating && (
            <button type="button" className="btn btn--primary btn--small" onClick={() => setCreating(true)}>
              + New user
            </button>
          )
        }
      >
        {creating && (
          <CreateUser
            onCancel={() => setCreating(false)}
            onCreated={(user) => {
              setUsers((list) => [...(list ?? []), user]);
              setCreating(false);
              setNotice(`Created ${ROLE_LABEL[user.role]?.toLowerCase() ?? user.role} ${user.username}.`);
            }}
          />
        )}
        <p className="muted panel__lead">
          Accounts are deactivated, never deleted, so the audit trail keeps its meaning. Deactivating ends the person’s sessions
          and stops their API keys at once.
        </p>
        <ErrorNote error={error} />
        {notice && (
          <p className="notice notice--ok" role="status">
            {notice}
          </p>
        )}
        {users && (
          <div className="table-scroll">
            <table className="data-table" aria-label="Users">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <Fragment key={u.id}>
                    <tr className={u.active ? undefined : 'data-table__row--inactive'} data-username={u.username}>
                      <td>
                        <span className="data-table__strong">{u.username}</span>
                        {u.id === selfId && <span className="muted"> (you)</span>}
                        {(u.display_name || u.email) && (
                          <div className="muted data-table__sub">{[u.display_name, u.email].filter(Boolean).join(' · ')}</div>
                        )}
                      </td>
                      <td>
                        <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                          Role of {u.username}
                        </label>
                        <select
                          id={`role-${u.id}`}
                          className="select--compact"
                          value={u.role}
                          onChange={(e) => void change(u, { role: e.target.value as Role }, `${u.username} is now ${ROLE_LABEL[e.target.value as Role]?.toLowerCase()}.`)}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {ROLE_LABEL[r]}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>
                        <span className={`pill pill--${u.active ? 'active' : 'revoked'}`}>{u.active ? 'Active' : 'Deactivated'}</span>
                        <div className="muted data-table__sub">{signInText(u)}</div>
                      </td>
                      <td className="nowrap">{u.last_login_at ? formatDateTime(u.last_login_at) : 'Never'}</td>
                      <td className="nowrap">{formatDateTime(u.created_at)}</td>
                      <td className="data-table__actions">
                        <div className="row-actions">
                          <button
                            type="button"
                            className="btn btn--small btn--ghost"
                            aria-label={`Reset password of ${u.username}`}
                            aria-expanded={resetting === u.id}
                            onClick={() => setResetting(resetting === u.id ? null : u.id)}
                          >
                            Reset password
                          </button>
                          {u.id !== selfId &&
                            (u.active ? (
                              <ConfirmButton
                                label="Deactivate"
                                ariaLabel={`Deactivate ${u.username}`}
                                question={`Deactivate ${u.username}? Their sessions and API keys stop working.`}
                                confirmLabel="Deactivate"
                                onConfirm={() => change(u, { active: false }, `${u.username} is deactivated.`)}
                              />
                            ) : (
                              <button type="button" className="btn btn--small btn--ghost" aria-label={`Activate ${u.username}`} onClick={() => void change(u, { active: true }, `${u.username} is active again.`)}>
                                Activate
                              </button>
                            ))}
                        </div>
                      </td>
                    </tr>
                    {resetting === u.id && (
                      <tr className="data-table__detail">
                        <td colSpan={6}>
                          <ResetPassword
                            user={u}
                            onCancel={() => setResetting(null)}
                            onDone={(user) => {
                              replace(user);
                              setResetting(null);
                              setNotice(`New password set for ${user.username}; their sessions have ended.`);
                            }}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </Page>
  );
}
