import { describe, expect, it } from 'vitest';
import type { Me, Role } from '../api/types';
import { accessOf, homePage, mayOpen, navItems } from './access';

const SCOPES: Record<Role, string[]> = {
  admin: ['admin', 'audit', 'conversations', 'keys', 'usage'],
  member: ['conversations', 'keys', 'usage'],
  auditor: ['audit', 'keys', 'usage'],
};

function me(role: Role, extra: Partial<Me> = {}): Me {
  return {
    mode: 'users',
    kind: 'session',
    role,
    scopes: SCOPES[role],
    api_key_id: null,
    csrf_token: 't',
    read_all_conversations: false,
    user: {
      id: `id-${role}`,
      username: role,
      display_name: null,
      email: null,
      role,
      active: true,
      sso: false,
      has_password: true,
      allowed_presets: null,
      allowed_models: null,
      read_all_conversations: false,
      rate_limits: null,
      created_at: '2026-11-01T00:00:00Z',
      last_login_at: null,
    },
    ...extra,
  };
}

const labels = (m: Me) => navItems(accessOf(m)).map((i) => i.label);

describe('navigation by role', () => {
  it('shows an administrator every page', () => {
    expect(labels(me('admin'))).toEqual(['Account', 'Users', 'API keys', 'Usage', 'Audit log']);
    expect(accessOf(me('admin')).canAsk).toBe(true);
  });

  it('shows a member their account and usage, and no administration', () => {
    expect(labels(me('member'))).toEqual(['Account', 'Usage']);
    const access = accessOf(me('member'));
    expect(mayOpen(access, 'users')).toBe(false);
    expect(mayOpen(access, 'audit')).toBe(false);
    expect(homePage(access)).toBeNull(); // lands on the chat
  });

  it('shows an auditor usage and the audit log but no conversations, and lands on the log', () => {
    expect(labels(me('auditor'))).toEqual(['Account', 'Usage', 'Audit log']);
    const access = accessOf(me('auditor'));
    expect(access.canRead).toBe(false);
    expect(access.canAsk).toBe(false);
    expect(mayOpen(access, 'users')).toBe(false);
    expect(mayOpen(access, 'keys')).toBe(false);
    expect(homePage(access)).toBe('audit');
  });

  it('lets an auditor granted read access read conversations, but not ask', () => {
    const access = accessOf(me('auditor', { read_all_conversations: true }));
    expect(access.canRead).toBe(true);
    expect(access.canAsk).toBe(false);
    expect(homePage(access)).toBeNull();
  });

  it('follows the scopes, not only the role name', () => {
    expect(labels(me('admin', { scopes: ['conversations', 'usage'] }))).toEqual(['Account', 'Usage']);
  });

  it('shows nothing of accounts in local single-user mode', () => {
    const local: Me = { ...me('admin'), mode: 'local', kind: 'local', user: null, csrf_token: null };
    const access = accessOf(local);
    expect(access.local).toBe(true);
    expect(navItems(access)).toEqual([]);
    expect(access.canAsk).toBe(true);
    expect(homePage(access)).toBeNull();
  });
});
