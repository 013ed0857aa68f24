import { describe, expect, it } from 'vitest';
import { deanonymise, displayNames, labelModel, modelRefTarget, shortModelName } from './deanonymise';

const MAP = { 'Response A': 'openai/gpt-5.1', 'Response B': 'anthropic/claude-sonnet-4.5', 'Response C': 'x-ai/grok-4' };
const A = '[gpt-5.1](#model-ref:openai%2Fgpt-5.1)';
const B = '[claude-sonnet-4.5](#model-ref:anthropic%2Fclaude-sonnet-4.5)';
const C = '[grok-4](#model-ref:x-ai%2Fgrok-4)';

describe('deanonymise', () => {
  it('replaces labels with references to the models', () => {
    expect(deanonymise('Response A is better than Response B.', MAP)).toBe(`${A} is better than ${B}.`);
  });

  it('swallows emphasis markers hugging a label', () => {
    expect(deanonymise('**Response C** wins; __Response A__ second', MAP)).toBe(`${C} wins; ${A} second`);
  });

  it('keeps a marker that belongs to a wider emphasis', () => {
    expect(deanonymise('*Response A is clear*', MAP)).toBe(`*${A} is clear*`);
    expect(deanonymise('**Best: Response A**', MAP)).toBe(`**Best: ${A}**`);
  });

  it('handles the FINAL RANKING block', () => {
    const text = 'FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B';
    expect(deanonymise(text, MAP)).toBe(`FINAL RANKING:\n1. ${C}\n2. ${A}\n3. ${B}`);
  });

  it('leaves unknown labels and non-labels alone', () => {
    expect(deanonymise('Response D, Responses A, Response Ab, response a, XResponse A', MAP)).toBe(
      'Response D, Responses A, Response Ab, response a, XResponse A',
    );
  });

  it('replaces labels followed by punctuation or a possessive', () => {
    expect(deanonymise('(Response A), Response B: Response C.', MAP)).toBe(`(${A}), ${B}: ${C}.`);
    expect(deanonymise("Response A's answer", MAP)).toBe(`${A}'s answer`);
  });

  it('leaves code alone', () => {
    const text = 'Response A uses `Response B` and\n```\nprint("Response C")\n```\nthen Response C';
    expect(deanonymise(text, MAP)).toBe(`${A} uses \`Response B\` and\n\`\`\`\nprint("Response C")\n\`\`\`\nthen ${C}`);
  });

  it('escapes markdown characters in model names', () => {
    expect(deanonymise('Response A', { 'Response A': 'local/my_model*v2' })).toBe('[my\\_model\\*v2](#model-ref:local%2Fmy_model*v2)');
  });

  it('uses the given naming function', () => {
    expect(deanonymise('Response A', MAP, (m) => m.toUpperCase())).toBe('[OPENAI/GPT-5.1](#model-ref:openai%2Fgpt-5.1)');
  });

  it('is the identity on empty text', () => {
    expect(deanonymise('', MAP)).toBe('');
  });

  it('reads the model back from a reference target', () => {
    expect(modelRefTarget('#model-ref:openai%2Fgpt-5.1')).toBe('openai/gpt-5.1');
    expect(modelRefTarget('https://example.org')).toBeNull();
    expect(modelRefTarget(undefined)).toBeNull();
  });
});

describe('model names', () => {
  it('shortens provider/model ids', () => {
    expect(shortModelName('openai/gpt-5.1')).toBe('gpt-5.1');
    expect(shortModelName('llama3.1:8b')).toBe('llama3.1:8b');
    expect(shortModelName('weird/')).toBe('weird/');
  });

  it('keeps full ids when short names would collide', () => {
    const names = displayNames(['a/gpt', 'b/gpt', 'c/grok']);
    expect(names.get('a/gpt')).toBe('a/gpt');
    expect(names.get('b/gpt')).toBe('b/gpt');
    expect(names.get('c/grok')).toBe('grok');
  });

  it('finds the model behind a label, or keeps the label', () => {
    expect(labelModel('Response B', MAP)).toBe('anthropic/claude-sonnet-4.5');
    expect(labelModel('B', MAP)).toBe('anthropic/claude-sonnet-4.5');
    expect(labelModel('Response Z', MAP)).toBe('Response Z');
  });
});
