import { describe, expect, it } from 'vitest';
import { describeReasoning, EMPTY_REASONING, fromSaved, reasoningProblem, toSaved, type ReasoningForm } from './reasoning';

const COUNCIL = ['openai/gpt-5.4', 'x-ai/grok-4.20', 'openai/gpt-5.4'];

function form(change: (f: ReasoningForm) => void): ReasoningForm {
  const f = structuredClone(EMPTY_REASONING);
  change(f);
  return f;
}

describe('the picker reasoning controls', () => {
  it('save only what was set, per stage and per model of the council', () => {
    const chosen = form((f) => {
      f.stages.reviews = { effort: 'low', maxOutput: '' };
      f.stages.chairman = { effort: 'high', maxOutput: ' 8000 ' };
      f.models['x-ai/grok-4.20'] = { effort: '', maxOutput: '4000' };
      f.models['gone/model'] = { effort: 'high', maxOutput: '' }; // no longer in the council
      f.models['openai/gpt-5.4'] = { effort: '', maxOutput: '' };
    });
    expect(toSaved(chosen, COUNCIL)).toEqual({
      reviews: { effort: 'low' },
      chairman: { effort: 'high', max_output_tokens: 8000 },
      models: { 'x-ai/grok-4.20': { max_output_tokens: 4000 } },
    });
    expect(toSaved(EMPTY_REASONING, COUNCIL)).toEqual({});
  });

  it('read a saved preset back, keeping the reasoning budgets it does not edit', () => {
    const saved = {
      chairman: { effort: 'medium' as const, max_output_tokens: 3000, max_reasoning_tokens: 1024 },
      models: { 'x-ai/grok-4.20': { effort: 'minimal' as const } },
    };
    const read = fromSaved(saved);
    expect(read.stages.chairman).toEqual({ effort: 'medium', maxOutput: '3000' });
    expect(read.stages.answers).toEqual({ effort: '', maxOutput: '' });
    expect(read.models['x-ai/grok-4.20']).toEqual({ effort: 'minimal', maxOutput: '' });
    expect(toSaved(read, COUNCIL)).toEqual(saved);
  });

  it('name a token count that is not a whole number of 1 or more', () => {
    for (const typed of ['0', '-5', '2.5', 'lots']) {
      const bad = form((f) => (f.stages.answers = { effort: '', maxOutput: typed }));
      expect(reasoningProblem(bad, COUNCIL)).toBe('Max output tokens for answers must be a whole number of 1 or more.');
    }
    const model = form((f) => (f.models['x-ai/grok-4.20'] = { effort: '', maxOutput: '0' }));
    expect(reasoningProblem(model, COUNCIL)).toContain('grok-4.20');
    expect(reasoningProblem(form((f) => (f.stages.answers.maxOutput = '')), COUNCIL)).toBeNull();
  });

  it('sum the choice up in one line', () => {
    expect(describeReasoning(EMPTY_REASONING, COUNCIL)).toBe('upstream defaults');
    const chosen = form((f) => {
      f.stages.reviews = { effort: 'low', maxOutput: '' };
      f.models['x-ai/grok-4.20'] = { effort: 'high', maxOutput: '12000' };
    });
    expect(describeReasoning(chosen, COUNCIL)).toBe('Reviews: low effort; grok-4.20: high effort, ≤ 12,000 tokens');
  });
});
