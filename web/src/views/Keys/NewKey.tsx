import { useState, type FormEvent } from 'react';
import type { ApiKeyCreate } from '../../api/types';
import type { FreshKey } from '../../state/keys';
import { CopyButton } from '../Common/CopyButton';
import { errorText } from '../Common/Page';

export const SCOPE_TEXT: Record<string, string> = {
  conversations: 'ask the council; your conversations',
  keys: 'manage your API keys',
  usage: 'read usage and budgets',
  audit: 'read the audit log',
  admin: 'users, every key, budgets',
};

const EXPIRY_DAYS = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '', label: 'Never' },
];

/** Creating a key: a name, scopes within the owner's role (default: conversations), an expiry. */
export function NewKeyForm({ scopes, onCreate }: { scopes: string[]; onCreate: (body: ApiKeyCreate) => Promise<void> }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>(scopes.includes('conversations') ? ['conversations'] : scopes.slice(0, 1));
  const [expiry, setExpiry] = useState('90');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onCreate({ name: name.trim(), scopes: chosen, expires_in_days: expiry ? Number(expiry) : null });
      setName('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={submit} aria-label="Create an API key">
      <div className="form-row">
        <label className="field field--grow">
          <span className="field__label">Name</span>
          <input type="text" required maxLength={100} placeholder="e.g. CI pipeline" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">Expires after</span>
          <select value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY_DAYS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="field checks">
        <legend className="field__label">Scopes</legend>
        {scopes.map((s) => (
          <label key={s} className="check">
            <input
              type="checkbox"
              checked={chosen.includes(s)}
              onChange={(e) => setChosen((c) => (e.target.checked ? [...c, s] : c.filter((x) => x !== s)))}
            />
            <span>
              <strong>{s}</strong> <span className="muted">— {SCOPE_TEXT[s] ?? s}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p className="notice notice--error" role="alert">
          {error}
        </p>
      )}
      <div>
        <button type="submit" className="btn btn--primary" disabled={busy || !name.trim() || chosen.length === 0}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </div>
    </form>
  );
}

/** The new key's secret, shown this once with a copy button and a plain warning. */
export function FreshKeyPanel({ fresh, onDismiss }: { fresh: FreshKey; onDismiss: () => void }) {
  return (
    <div className="secret" role="region" aria-label="New API key">
      <p className="secret__warning">
        <strong>Copy the key “{fresh.name}” now: it is shown only this once.</strong> The server keeps only a hash of it; if
        it is lost, revoke it and create another.
      </p>
      <div className="secret__row">
        <code className="secret__value" aria-label="API key secret">
          {fresh.secret}
        </code>
        <CopyButton text={fresh.secret} label="Copy API key" />
      </div>
      <p className="muted secret__use">
        Programs send it in the header <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <button type="button" className="btn btn--small" onClick={onDismiss}>
        I have stored it — hide the key
      </button>
    </div>
  );
}
