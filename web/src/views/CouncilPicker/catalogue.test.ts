import { describe, expect, it } from 'vitest';
import type { CatalogueModel } from '../../api/types';
import { councilProblem, matchesQuery, orderModels, toggleMember } from './catalogue';

function model(id: string, name: string, expired = false): CatalogueModel {
  return {
    id,
    name,
    context_length: 1000,
    prompt_price: null,
    completion_price: null,
    input_modalities: ['text'],
    output_modalities: ['text'],
    supported_parameters: [],
    deprecated: expired,
    expired,
    expiration_date: null,
  };
}

const catalogue: [CatalogueModel, CatalogueModel, CatalogueModel, CatalogueModel] = [
  model('x-ai/grok-4.20', 'xAI: Grok 4.20'),
  model('anthropic/claude-3-opus', 'Anthropic: Claude 3 Opus', true),
  model('google/gemini-3.1-pro-preview', 'Google: Gemini 3.1 Pro Preview'),
  model('anthropic/claude-sonnet-4.6', 'Anthropic: Claude Sonnet 4.6'),
];

describe('matchesQuery', () => {
  it('needs every word, in the id or the name, in any case', () => {
    expect(matchesQuery(catalogue[2], 'GEMINI pro')).toBe(true);
    expect(matchesQuery(catalogue[2], 'google 3.1')).toBe(true);
    expect(matchesQuery(catalogue[2], 'gemini flash')).toBe(false);
    expect(matchesQuery(catalogue[2], '  ')).toBe(true);
  });
});

describe('orderModels', () => {
  it('puts the chosen first in council order, retired last, and filters the rest only', () => {
    const ids = orderModels(catalogue, ['x-ai/grok-4.20'], '').map((m) => m.id);
    expect(ids).toEqual([
      'x-ai/grok-4.20',
      'anthropic/claude-sonnet-4.6',
      'google/gemini-3.1-pro-preview',
      'anthropic/claude-3-opus',
    ]);
    const chairAlsoMember = ['x-ai/grok-4.20', 'anthropic/claude-sonnet-4.6', 'x-ai/grok-4.20'];
    expect(orderModels(catalogue, chairAlsoMember, '').map((m) => m.id)).toHaveLength(4); // once each
    expect(orderModels(catalogue, ['x-ai/grok-4.20'], 'claude').map((m) => m.id)).toEqual([
      'x-ai/grok-4.20',
      'anthropic/claude-sonnet-4.6',
      'anthropic/claude-3-opus',
    ]);
  });
});

describe('composing a council', () => {
  it('toggles members and makes the first one chairman', () => {
    let council = toggleMember({ members: [], chairman: '' }, 'a/one');
    expect(council).toEqual({ members: ['a/one'], chairman: 'a/one' });
    council = toggleMember(council, 'b/two');
    expect(council).toEqual({ members: ['a/one', 'b/two'], chairman: 'a/one' });
    council = toggleMember(council, 'a/one');
    expect(council).toEqual({ members: ['b/two'], chairman: 'a/one' }); // a chairman need not sit
  });

  it('says what is missing or retired', () => {
    const retired = new Set(['anthropic/claude-3-opus']);
    expect(councilProblem({ members: [], chairman: '' }, retired)).toMatch(/at least one member/);
    expect(councilProblem({ members: ['a'], chairman: '' }, retired)).toMatch(/chairman/);
    expect(councilProblem({ members: ['anthropic/claude-3-opus'], chairman: 'a' }, retired)).toMatch(/Retired/);
    expect(councilProblem({ members: ['a'], chairman: 'a' }, retired)).toBeNull();
  });
});
