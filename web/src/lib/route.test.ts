import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute } from './route';

describe('routes', () => {
  it('reads conversations and pages from the hash', () => {
    expect(parseRoute('')).toEqual({ kind: 'home' });
    expect(parseRoute('#/')).toEqual({ kind: 'home' });
    expect(parseRoute('#/c/abc%20d')).toEqual({ kind: 'conversation', id: 'abc d' });
    expect(parseRoute('#/audit')).toEqual({ kind: 'page', page: 'audit' });
    expect(parseRoute('#/account/')).toEqual({ kind: 'page', page: 'account' });
    expect(parseRoute('#/nonsense')).toEqual({ kind: 'home' });
  });

  it('reads the setup link the server prints, and its hash form', () => {
    expect(parseRoute('', '/setup', '?token=abc_DEF-1')).toEqual({ kind: 'setup', token: 'abc_DEF-1' });
    expect(parseRoute('#/setup?token=xyz')).toEqual({ kind: 'setup', token: 'xyz' });
    expect(parseRoute('#/setup')).toEqual({ kind: 'setup', token: null });
  });

  it('writes what it reads', () => {
    for (const hash of ['#/', '#/c/a%2Fb', '#/users', '#/setup?token=t']) {
      expect(hrefOf(parseRoute(hash))).toBe(hash);
    }
  });
});
