import { describe, expect, it } from 'vitest';
import type { CouncilEvent } from '../../api/events';
import type { Stage1Result } from '../../api/types';
import { applyEvent, newRun } from '../../state/run';

const MEMBERS = ['m/a', 'm/b'];

const answer = (model: string, response: string, extra: Partial<Stage1Result> = {}): Stage1Result => ({
  model,
  response,
  simulated: true,
  ...extra,
});

describe('a revise run', () => {
  it('keeps each round and shows the latest answers', () => {
    const events: CouncilEvent[] = [
      { type: 'run_start', run_id: 'r', conversation_id: 'c', members: MEMBERS, chairman: 'm/a', preset: 'p', mode: 'revise' },
      { type: 'stage1_start' },
      { type: 'stage1_complete', data: [answer('m/a', 'A0'), answer('m/b', 'B0')] },
      { type: 'revision_start', round: 1 },
      { type: 'model_delta', stage: 1, model: 'm/a', text: 'A1', round: 1 },
    ];
    const during = events.reduce(applyEvent, newRun());
    expect(during.mode).toBe('revise');
    expect(during.round).toBe(1);
    expect(during.rounds.map((r) => r.map((a) => a.text))).toEqual([['A0', 'B0']]);
    expect(during.stage1.map((a) => [a.text, a.phase])).toEqual([
      ['A1', 'streaming'],
      ['', 'waiting'],
    ]);
    const after = applyEvent(during, {
      type: 'revision_complete',
      round: 1,
      data: [answer('m/a', 'A1'), answer('m/b', 'B1', { finish_reason: 'length' })],
    });
    expect(after.stage1.map((a) => a.text)).toEqual(['A1', 'B1']);
    expect(after.stage1[1]!.finishReason).toBe('length');
  });

  it('reads the structured synthesis from stage 3', () => {
    const run = applyEvent(newRun({ members: MEMBERS }), {
      type: 'stage3_complete',
      data: {
        model: 'm/a',
        response: 'Final.',
        simulated: true,
        degraded: false,
        kind: 'synthesis',
        structured: {
          consensus: ['x'],
          contradictions: [],
          gaps: ['y'],
          confidence: { level: 'high', justification: 'agree' },
        },
        structured_note: null,
      },
    });
    expect(run.stage3?.kind).toBe('synthesis');
    expect(run.stage3?.structured?.confidence?.level).toBe('high');
  });
});
