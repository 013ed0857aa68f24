import type { Me } from '../../api/types';
import { navItems, ROLE_LABEL, type Access, type PageId } from '../../lib/access';
import { hrefOf } from '../../lib/route';

/**
 * The foot of the sidebar: in users mode, who is signed in, the pages their role opens, and
 * sign out; in local mode only a discreet note of the mode.
 */
export function AccountNav({
  me,
  access,
  current,
  onNavigate,
  onSignOut,
}: {
  me: Me;
  access: Access;
  current: PageId | null;
  onNavigate: () => void;
  onSignOut: () => void;
}) {
  if (access.local) {
    return (
      <p className="mode-note muted" title="Nobody signs in: the server accepts only connections from this machine. See docs/SECURITY.md.">
        <span className="mode-note__dot" aria-hidden="true" /> Local mode · no sign-in
      </p>
    );
  }
  const user = me.user;
  const name = user?.display_name || user?.username || 'signed in';
  return (
    <nav className="account-nav" aria-label="Account and administration">
      <ul className="account-nav__links">
        {navItems(access).map((item) => (
          <li key={item.page}>
            <a
              className={`account-nav__link${current === item.page ? ' account-nav__link--active' : ''}`}
              href={hrefOf({ kind: 'page', page: item.page })}
              aria-current={current === item.page ? 'page' : undefined}
              onClick={onNavigate}
            >
              {item.label}
            </a>
          </li>
        ))}
      </ul>
      <div className="account-nav__who">
        <span className="avatar" aria-hidden="true">
          {name.slice(0, 1).toUpperCase()}
        </span>
        <span className="account-nav__name">
          <span className="account-nav__username" title={user?.username}>
            {name}
          </span>
          <span className="muted account-nav__role">{ROLE_LABEL[me.role] ?? me.role}</span>
        </span>
        <button type="button" className="btn btn--small btn--ghost" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </nav>
  );
}
