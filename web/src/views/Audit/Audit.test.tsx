import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ChainResult } from './Audit';

const HASH = 'a'.repeat(64);

describe('the chain check', () => {
  it('says the chain is intact, with its head', () => {
    const html = renderToStaticMarkup(<ChainResult report={{ ok: true, records: 1204, head: { seq: 1204, hash: HASH }, problems: [] }} onShow={() => undefined} />);
    expect(html).toContain('Chain intact: 1,204 record(s), head 1204:');
    expect(html).toContain('role="status"');
  });

  it('says where it broke, and each problem', () => {
    const html = renderToStaticMarkup(
      <ChainResult
        report={{
          ok: false,
          records: 70,
          head: { seq: 70, hash: HASH },
          problems: [
            { seq: 57, kind: 'altered', message: 'record 57 (council.run) was altered' },
            { seq: 58, kind: 'broken_link', message: 'record 58 does not follow the record before it' },
          ],
        }}
        onShow={() => undefined}
      />,
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('The chain is broken at record 57.');
    expect(html).toContain('record 57 (council.run) was altered');
    expect(html).toContain('broken link');
    expect(html).toContain('Show record 58');
  });
});
