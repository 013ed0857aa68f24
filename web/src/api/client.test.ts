import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, CSRF_HEADER, readCookie, rememberCsrfToken, setUnauthorizedHandler, withCsrf } from './client';

interface Call {
  path: string;
  method: string;
  headers: Record<string, string>;
}

let calls: Call[] = [];
let answer: () => Response = () => new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

beforeEach(() => {
  calls = [];
  answer = () => json({});
  vi.stubGlobal('fetch', async (path: string, init: RequestInit = {}) => {
    calls.push({ path, method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>) } });
    return answer();
  });
  vi.stubGlobal('document', { cookie: '' });
  rememberCsrfToken(null);
});

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(null);
});

describe('the CSRF token', () => {
  it('is read from the council_csrf cookie', () => {
    expect(readCookie('theme=dark; council_csrf=abc123; other=1', 'council_csrf')).toBe('abc123');
    expect(readCookie('council_csrf_old=x', 'council_csrf')).toBeNull();
    expect(readCookie('', 'council_csrf')).toBeNull();
  });

  it('is added to state-changing methods only', () => {
    expect(withCsrf('GET', { A: '1' }, 'tok')).toEqual({ A: '1' });
    expect(withCsrf(undefined, {}, 'tok')).toEqual({});
    expect(withCsrf('HEAD', {}, 'tok')).toEqual({});
    for (const method of ['POST', 'put', 'PATCH', 'DELETE']) {
      expect(withCsrf(method, { A: '1' }, 'tok')).toEqual({ A: '1', [CSRF_HEADER]: 'tok' });
    }
    expect(withCsrf('POST', {}, null)).toEqual({});
  });

  it('goes with every write the client makes, and with no read', async () => {
    document.cookie = 'council_csrf=from-cookie';
    answer = () => json({ id: 'c1', messages: [] });
    await api.createConversation({});
    await api.updateConversation('c1', { title: 'x' });
    answer = () => new Response(null, { status: 204 });
    await api.deleteConversation('c1');
    await api.revokeKey('k1');
    await api.deleteBudget('b1');
    answer = () => json([]);
    await api.listConversations();
    await api.listKeys({ everyone: true });
    const writes = calls.filter((c) => c.method !== 'GET');
    expect(writes.map((c) => c.method)).toEqual(['POST', 'PATCH', 'DELETE', 'DELETE', 'DELETE']);
    expect(writes.every((c) => c.headers[CSRF_HEADER] === 'from-cookie')).toBe(true);
    expect(calls.filter((c) => c.method === 'GET').every((c) => !(CSRF_HEADER in c.headers))).toBe(true);
    expect(calls.at(-1)!.path).toBe('/api/keys?everyone=true');
  });

  it('goes with the streamed question and a retry', async () => {
    document.cookie = 'council_csrf=tok';
    answer = () => new Response('', { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    await api.sendMessage('c1', 'hi', () => undefined, 'idem-1').done;
    await api.retryRun('c1', 'r1', () => undefined).done;
    expect(calls.map((c) => c.headers[CSRF_HEADER])).toEqual(['tok', 'tok']);
    expect(calls[0]!.headers['Idempotency-Key']).toBe('idem-1');
  });

  it('comes from the sign-in answer when the cookie cannot be read, and is forgotten at logout', async () => {
    answer = () => json({ user: { id: 'u1' }, csrf_token: 'from-login', expires_at: '2026-01-01T00:00:00Z' });
    await api.login({ username: 'mia', password: 'secret secret' });
    expect(calls[0]!.headers[CSRF_HEADER]).toBeUndefined(); // none yet
    answer = () => json({ id: 'k', key: 'lc_x_y' }, 201);
    await api.createKey({ name: 'ci' });
    expect(calls[1]!.headers[CSRF_HEADER]).toBe('from-login');
    answer = () => new Response(null, { status: 204 });
    await api.logout();
    expect(calls[2]!.headers[CSRF_HEADER]).toBe('from-login');
    await api.revokeKey('k');
    expect(calls[3]!.headers[CSRF_HEADER]).toBeUndefined();
  });

  it('prefers the cookie, which follows a sign-in in another tab', async () => {
    rememberCsrfToken('stale');
    document.cookie = 'council_csrf=fresh';
    answer = () => new Response(null, { status: 204 });
    await api.changePassword({ current_password: 'a', new_password: 'b' });
    expect(calls[0]!.headers[CSRF_HEADER]).toBe('fresh');
  });
});

describe('a request answered 401', () => {
  it('tells the app the session ended, except for the sign-in routes themselves', async () => {
    const ended = vi.fn();
    setUnauthorizedHandler(ended);
    answer = () => json({ detail: { code: 'unauthenticated', message: 'your session has expired' } }, 401);
    await expect(api.listConversations()).rejects.toMatchObject({ status: 401, message: 'your session has expired' });
    expect(ended).toHaveBeenCalledTimes(1);
    await expect(api.login({ username: 'x', password: 'y' })).rejects.toMatchObject({ status: 401 });
    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    await expect(api.changePassword({ current_password: 'wrong', new_password: 'x' })).rejects.toMatchObject({ status: 401 });
    expect(ended).toHaveBeenCalledTimes(1);
  });
});

describe('query strings', () => {
  it('carry only the filters that are set', async () => {
    answer = () => json({ records: [], next_before_seq: null });
    await api.audit({ action: 'key.', outcome: '', actor: undefined }, { beforeSeq: 40, limit: 50 });
    expect(calls[0]!.path).toBe('/api/audit?action=key.&before_seq=40&limit=50');
    expect(api.auditExportUrl({ action: 'council.run', since: '2026-11-01T00:00:00.000Z' })).toBe(
      '/api/audit/export?action=council.run&since=2026-11-01T00%3A00%3A00.000Z',
    );
    expect(api.oidcLoginUrl('/#/c/1')).toBe('/api/auth/oidc/login?next=%2F%23%2Fc%2F1');
  });
});
