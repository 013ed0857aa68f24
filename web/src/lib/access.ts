/**
 * What the signed-in person may see, from `GET /api/auth/me`: the scopes of their role decide
 * which parts of the app exist for them (docs/SECURITY.md, "Roles, scopes and policy"). The
 * server enforces all of it; this only keeps out of sight what would answer 403.
 */
import type { Me, Role } from '../api/types';

export type PageId = 'account' | 'users' | 'keys' | 'usage' | 'audit';

export interface Access {
  /** Local single-user mode: nobody signs in, and none of the account pages are shown. */
  local: boolean;
  /** May ask the council and keep conversations. */
  canAsk: boolean;
  /** May read conversations: one's own, or everyone's under a read-only grant. */
  canRead: boolean;
  pages: PageId[];
}

export interface NavItem {
  page: PageId;
  label: string;
}

const NAV: Record<PageId, string> = {
  account: 'Account',
  users: 'Users',
  keys: 'API keys',
  usage: 'Usage',
  audit: 'Audit log',
};

export const ROLE_LABEL: Record<Role, string> = { admin: 'Administrator', member: 'Member', auditor: 'Auditor' };

export const PAGE_TITLE: Record<PageId, string> = {
  account: 'Your account',
  users: 'Users',
  keys: 'All API keys',
  usage: 'Usage and budgets',
  audit: 'Audit log',
};

export function accessOf(me: Me): Access {
  if (me.mode === 'local' || me.kind === 'local') return { local: true, canAsk: true, canRead: true, pages: [] };
  const scopes = new Set(me.scopes);
  const canAsk = scopes.has('conversations');
  const pages: PageId[] = [];
  if (me.user) pages.push('account');
  if (scopes.has('admin')) pages.push('users', 'keys');
  if (scopes.has('usage')) pages.push('usage');
  if (scopes.has('audit')) pages.push('audit');
  return { local: false, canAsk, canRead: canAsk || me.read_all_conversations, pages };
}

/** The links of the navigation, in order. Nothing in local mode. */
export function navItems(access: Access): NavItem[] {
  return access.pages.map((page) => ({ page, label: NAV[page] }));
}

export function mayOpen(access: Access, page: PageId): boolean {
  return access.pages.includes(page);
}

/** Where someone lands who may not read conversations (an auditor): the audit log if they may. */
export function homePage(access: Access): PageId | null {
  if (access.canRead) return null;
  const preferred: PageId[] = ['audit', 'usage', 'account'];
  return preferred.find((p) => access.pages.includes(p)) ?? access.pages[0] ?? null;
}
