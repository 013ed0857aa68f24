import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../api/types';
import { KeyTable } from './KeyTable';
import { FreshKeyPanel } from './NewKey';

const KEY: ApiKey = {
  id: 'k1',
  user_id: 'u1',
  name: 'ci',
  prefix: 'lc_abc123def456',
  scopes: ['conversations', 'usage'],
  created_at: '2026-11-01T00:00:00Z',
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  active: true,
};

describe('API keys on screen', () => {
  it('show a new secret once, with a copy button and a warning', () => {
    const html = renderToStaticMarkup(<FreshKeyPanel fresh={{ id: 'k1', name: 'ci', secret: 'lc_abc123def456_SECRET' }} onDismiss={() => undefined} />);
    expect(html).toContain('lc_abc123def456_SECRET');
    expect(html).toContain('it is shown only this once');
    expect(html).toContain('aria-label="Copy API key"');
  });

  it('list keys by prefix only, with revoke for active ones', () => {
    const html = renderToStaticMarkup(
      <KeyTable keys={[KEY, { ...KEY, id: 'k2', name: 'old', active: false, revoked_at: '2026-11-02T00:00:00Z' }]} onRevoke={async () => undefined} label="Keys" />,
    );
    expect(html).toContain('lc_abc123def456_…');
    expect(html).not.toContain('SECRET');
    expect(html.match(/Revoke key/g)).toHaveLength(1);
    expect(html).toContain('Revoked');
  });
});
