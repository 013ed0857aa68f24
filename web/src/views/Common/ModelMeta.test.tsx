import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../api/types';
import type { ModelView } from '../../state/run';
import { ModelMeta } from './ModelMeta';

function view(usage: Usage | null): ModelView {
  return { model: 'openai/o4', latencyMs: 12_300, ttftMs: null, usage, simulated: false } as ModelView;
}

describe('ModelMeta', () => {
  it('shows the reasoning tokens within the output tokens when the API counts them', () => {
    const html = renderToStaticMarkup(
      <ModelMeta view={view({ prompt_tokens: 50, completion_tokens: 1834, reasoning_tokens: 1200 })} />,
    );
    expect(html).toContain('1,834 tok (1,200 reasoning)');
  });

  it('says nothing of reasoning when the upstream reports none', () => {
    for (const reasoning of [undefined, null, 0]) {
      const html = renderToStaticMarkup(
        <ModelMeta view={view({ prompt_tokens: 50, completion_tokens: 90, reasoning_tokens: reasoning })} />,
      );
      expect(html).toContain('90 tok');
      expect(html).not.toContain('reasoning');
    }
  });
});
