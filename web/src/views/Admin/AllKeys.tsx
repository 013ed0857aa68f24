import { useEffect, useMemo, useState } from 'react';
import { api } from '../../api/client';
import type { User } from '../../api/types';
import { keyState } from '../../state/keys';
import { ErrorNote, Page, Panel } from '../Common/Page';
import { KeyTable } from '../Keys/KeyTable';
import { useKeys } from '../Keys/useKeys';

/** Every user's API keys, for administrators: who owns what, and revoke. */
export function AllKeys() {
  const keys = useKeys({ everyone: true });
  const [users, setUsers] = useState<User[]>([]);
  const [showInactive, setShowInactive] = useState(false);
  useEffect(() => {
    api.listUsers().then((u) => setUsers(u as User[]), () => setUsers([]));
  }, []);
  const owners = useMemo(() => new Map(users.map((u) => [u.id, u.username])), [users]);
  const shown = showInactive ? keys.keys : keys.keys.filter((k) => keyState(k) === 'active');
  const hidden = keys.keys.length - shown.length;

  return (
    <Page label="All API keys">
      <Panel
        title="Every user’s API keys"
        actions={
          <label className="check">
            <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} />
            <span>Show revoked and expired</span>
          </label>
        }
      >
        <p className="muted panel__lead">
          Keys are created by their owners (Account page) or with <code>council keys create</code>. Revoking takes effect with the
          key’s next request.
        </p>
        <ErrorNote error={keys.error} />
        {!keys.loading && <KeyTable keys={shown} owners={owners} onRevoke={keys.revoke} label="All API keys" />}
        {!showInactive && hidden > 0 && <p className="muted">{hidden} revoked or expired key(s) hidden.</p>}
      </Panel>
    </Page>
  );
}
