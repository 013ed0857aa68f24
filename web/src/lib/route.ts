/**
 * Routing by hash (`#/c/<id>`, `#/account`…), because the server serves the UI at `/` only.
 * The first-run setup link the server prints is `/setup?token=…`; `#/setup?token=…` works too.
 */
import type { PageId } from './access';

export type Route =
  | { kind: 'home' }
  | { kind: 'conversation'; id: string }
  | { kind: 'page'; page: PageId }
  | { kind: 'evaluations' }
  | { kind: 'batches' }
  | { kind: 'analytics' }
  | { kind: 'setup'; token: string | null };

const PAGES: Record<string, PageId> = {
  account: 'account',
  users: 'users',
  keys: 'keys',
  usage: 'usage',
  audit: 'audit',
};

function tokenFrom(query: string): string | null {
  const token = new URLSearchParams(query).get('token');
  return token ? token.trim() : null;
}

export function parseRoute(hash: string, pathname = '/', search = ''): Route {
  const setupHash = /^#\/setup(?:\?(.*))?$/.exec(hash);
  if (setupHash) return { kind: 'setup', token: tokenFrom(setupHash[1] ?? '') };
  if (pathname.replace(/\/+$/, '') === '/setup') return { kind: 'setup', token: tokenFrom(search) };
  const conversation = /^#\/c\/([^/?#]+)/.exec(hash);
  if (conversation) {
    try {
      return { kind: 'conversation', id: decodeURIComponent(conversation[1]!) };
    } catch {
      return { kind: 'home' };
    }
  }
  if (/^#\/evaluations\/?$/.test(hash)) return { kind: 'evaluations' };
  if (/^#\/batches\/?$/.test(hash)) return { kind: 'batches' };
  if (/^#\/analytics\/?$/.test(hash)) return { kind: 'analytics' };
  const page = /^#\/([a-z]+)\/?$/.exec(hash);
  if (page && PAGES[page[1]!]) return { kind: 'page', page: PAGES[page[1]!]! };
  return { kind: 'home' };
}

export function hrefOf(route: Route): string {
  switch (route.kind) {
    case 'home':
      return '#/';
    case 'conversation':
      return `#/c/${encodeURIComponent(route.id)}`;
    case 'page':
      return `#/${route.page}`;
    case 'evaluations':
      return '#/evaluations';
    case 'batches':
      return '#/batches';
    case 'analytics':
      return '#/analytics';
    case 'setup':
      return route.token ? `#/setup?token=${encodeURIComponent(route.token)}` : '#/setup';
  }
}

export function currentRoute(): Route {
  return parseRoute(window.location.hash, window.location.pathname, window.location.search);
}

/** Goes to a route; leaves `/setup` for `/` so the one-time token does not stay in the address. */
export function navigate(route: Route): void {
  const next = hrefOf(route);
  if (window.location.pathname !== '/' && route.kind !== 'setup') {
    window.history.replaceState(null, '', `/${next}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    return;
  }
  if (window.location.hash !== next) window.location.hash = next;
}
