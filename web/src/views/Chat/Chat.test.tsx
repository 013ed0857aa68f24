import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../api/types';
import { isSeeded } from '../../state/run';
import { SEEDED, STORED } from '../../test/fixtures';
import { Chat } from './Chat';

function conversation(): Conversation {
  return {
    id: 'c1',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    title: 'From a program',
    preset: null,
    members: null,
    chairman: null,
    messages: [
      { role: 'user', id: 'm1', content: 'What is the capital of France?', created_at: '2025-01-01T00:00:00Z' },
      SEEDED,
      { role: 'user', id: 'm2', content: 'And of Italy?', created_at: '2025-01-01T00:00:00Z' },
      STORED,
    ],
  };
}

describe('a turn an API client supplied', () => {
  it('is recognised by its seeded marks', () => {
    expect(isSeeded(SEEDED)).toBe(true);
    expect(isSeeded({ ...SEEDED, council: null })).toBe(true); // stage 3 says so too
    expect(isSeeded({ ...SEEDED, council: null, stage3: { ...SEEDED.stage3!, seeded: undefined }, seeded: true })).toBe(true);
    expect(isSeeded(STORED)).toBe(false);
  });

  it('shows as a plain earlier answer, not as an empty council card', () => {
    const html = renderToStaticMarkup(<Chat conversation={conversation()} live={null} onRetry={() => undefined} />);
    expect(html).toContain('aria-label="Earlier answer (supplied by the API client)"');
    expect(html).toContain('Paris is the capital of France.');
    // Only the real run is a council answer.
    expect(html.match(/aria-label="Council answer"/g)).toHaveLength(1);
    expect(html.match(/aria-label="Final answer"/g)).toHaveLength(1);
    expect(html.indexOf('Paris is')).toBeLessThan(html.indexOf('And of Italy?'));
  });
});
