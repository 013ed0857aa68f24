import type { ApiKey } from '../../api/types';
import { formatDateTime } from '../../lib/format';
import { keyState } from '../../state/keys';
import { ConfirmButton } from '../Common/ConfirmButton';

const STATE_TEXT = { active: 'Active', revoked: 'Revoked', expired: 'Expired' } as const;

/** API keys by prefix (the secret is never listed), with revoke after a confirmation. */
export function KeyTable({
  keys,
  owners,
  onRevoke,
  label,
}: {
  keys: ApiKey[];
  /** Owner names by user id: shown as a column when given (administrators' list). */
  owners?: Map<string, string>;
  onRevoke: (key: ApiKey) => Promise<void>;
  label: string;
}) {
  if (keys.length === 0) return <p className="muted">No API keys.</p>;
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {owners && <th scope="col">Owner</th>}
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const state = keyState(k);
            return (
              <tr key={k.id} className={state !== 'active' ? 'data-table__row--inactive' : undefined} data-key-id={k.id}>
                <td className="data-table__strong">{k.name}</td>
                {owners && <td>{owners.get(k.user_id) ?? k.user_id}</td>}
                <td>
                  <code className="key-prefix">{k.prefix}_…</code>
                </td>
                <td>
                  <span className="chips">
                    {k.scopes.map((s) => (
                      <span className="chip" key={s}>
                        {s}
                      </span>
                    ))}
                  </span>
                </td>
                <td className="nowrap">{formatDateTime(k.created_at)}</td>
                <td className="nowrap">{k.expires_at ? formatDateTime(k.expires_at) : 'Never'}</td>
                <td className="nowrap">{k.last_used_at ? formatDateTime(k.last_used_at) : 'Never'}</td>
                <td>
                  <span className={`pill pill--${state}`}>{STATE_TEXT[state]}</span>
                </td>
                <td className="data-table__actions">
                  {state === 'active' && (
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke key “${k.name}”`}
                      question={`Revoke “${k.name}”? Programs using it stop working at once.`}
                      confirmLabel="Revoke"
                      onConfirm={() => onRevoke(k)}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
