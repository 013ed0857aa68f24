import { describe, expect, it } from 'vitest';
import type { CouncilEvent } from '../api/events';
import { METADATA, STORED } from '../test/fixtures';
import { applyEvent, newRun, runFromMessage, settle } from './run';

const MEMBERS = ['openai/gpt-5.1', 'google/gemini-3-pro-preview', 'x-ai/grok-4'];

function play(events: CouncilEvent[]) {
  return events.reduce(applyEvent, newRun());
}

const START: CouncilEvent = {
  type: 'run_start',
  run_id: 'run-1',
  conversation_id: 'c',
  members: MEMBERS,
  chairman: 'google/gemini-3-pro-preview',
  preset: 'default',
  simulated: true,
};

describe('applyEvent', () => {
  it('streams stage 1 text per model', () => {
    const run = play([
      START,
      { type: 'stage1_start' },
      { type: 'model_delta', stage: 1, model: 'openai/gpt-5.1', text: 'Hel' },
      { type: 'model_delta', stage: 1, model: 'x-ai/grok-4', text: 'Yo' },
      { type: 'model_delta', stage: 1, model: 'openai/gpt-5.1', text: 'lo' },
    ]);
    expect(run.runId).toBe('run-1');
    expect(run.phase).toBe('stage1');
    expect(run.simulated).toBe(true);
    expect(run.stage1.map((r) => [r.model, r.text, r.phase])).toEqual([
      ['openai/gpt-5.1', 'Hello', 'streaming'],
      ['google/gemini-3-pro-preview', '', 'waiting'],
      ['x-ai/grok-4', 'Yo', 'streaming'],
    ]);
  });

  it('records completion numbers, errors with their reason, fallbacks and resets', () => {
    const run = play([
      START,
      { type: 'model_delta', stage: 1, model: 'openai/gpt-5.1', text: 'partial' },
      { type: 'model_error', stage: 1, model: 'openai/gpt-5.1', kind: 'rate_limited', message: '429 slow down', status: 429 },
      { type: 'model_fallback', stage: 1, model: 'openai/gpt-5.1', fallback: 'openai/gpt-4o-mini', reason: 'rate_limited' },
      { type: 'model_delta', stage: 1, model: 'openai/gpt-5.1', text: 'fallback text' },
      { type: 'model_complete', stage: 1, model: 'openai/gpt-5.1', answered_by: 'openai/gpt-4o-mini', usage: { prompt_tokens: 0, completion_tokens: 5 }, latency_ms: 800, ttft_ms: 100 },
      { type: 'model_delta', stage: 1, model: 'x-ai/grok-4', text: 'abc' },
      { type: 'model_reset', stage: 1, model: 'x-ai/grok-4' },
      { type: 'model_error', stage: 1, model: 'google/gemini-3-pro-preview', kind: 'auth', message: 'invalid key', status: 401 },
    ]);
    const [gpt, gemini, grok] = run.stage1;
    expect(gpt).toMatchObject({ text: 'fallback text', phase: 'done', answeredBy: 'openai/gpt-4o-mini', fallbackFrom: 'openai/gpt-5.1', latencyMs: 800, error: null });
    expect(gemini).toMatchObject({ phase: 'failed', error: { kind: 'auth', message: 'invalid key', status: 401 } });
    expect(grok!.text).toBe('');
    expect(run.errors.map((e) => e.model)).toEqual(['openai/gpt-5.1', 'google/gemini-3-pro-preview']);
  });

  it('keeps failed members when stage 1 completes without them', () => {
    const run = play([
      START,
      { type: 'model_error', stage: 1, model: 'x-ai/grok-4', kind: 'timeout', message: 'no first token in 240 s', status: null },
      { type: 'stage1_complete', data: STORED.stage1 },
    ]);
    expect(run.stage1.map((r) => [r.model, r.phase])).toEqual([
      ['openai/gpt-5.1', 'done'],
      ['google/gemini-3-pro-preview', 'done'],
      ['x-ai/grok-4', 'failed'],
    ]);
  });

  it('goes through stages 2 and 3 to complete', () => {
    const run = play([
      START,
      { type: 'stage1_complete', data: STORED.stage1 },
      { type: 'stage2_start' },
      { type: 'model_delta', stage: 2, model: 'openai/gpt-5.1', text: 'Response B is good' },
      { type: 'stage2_complete', data: STORED.stage2, metadata: METADATA },
      { type: 'stage3_start' },
      { type: 'model_delta', stage: 3, model: 'google/gemini-3-pro-preview', text: 'Final' },
      { type: 'title_complete', data: { title: 'Hello' } },
      { type: 'stage3_complete', data: STORED.stage3! },
      { type: 'complete' },
    ]);
    expect(run.status).toBe('complete');
    expect(run.phase).toBe('finished');
    expect(run.metadata).toBe(METADATA);
    expect(run.stage2.map((r) => r.parseStatus)).toEqual(['ok', 'failed']);
    expect(run.stage3).toMatchObject({ text: 'The final answer.', phase: 'done', degraded: false });
  });

  it('streams the chairman before stage3_complete', () => {
    const run = play([START, { type: 'stage3_start' }, { type: 'model_delta', stage: 3, model: 'google/gemini-3-pro-preview', text: 'Fi' }]);
    expect(run.stage3).toMatchObject({ model: 'google/gemini-3-pro-preview', text: 'Fi', phase: 'streaming' });
  });

  it('ends with an error, cancelled or failed', () => {
    expect(play([START, { type: 'error', message: 'stopped', code: 'cancelled' }]).status).toBe('cancelled');
    const failed = play([
      START,
      { type: 'error', message: 'every member failed', code: 'all_members_failed', failures: [{ stage: 1, model: 'x-ai/grok-4', kind: 'auth', message: 'bad key', status: 401 }] },
    ]);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ message: 'every member failed', code: 'all_members_failed' });
    expect(failed.errors).toHaveLength(1);
  });

  it('settles models still streaming when the stream stops', () => {
    const run = settle(play([START, { type: 'model_delta', stage: 1, model: 'x-ai/grok-4', text: 'half' }]));
    expect(run.stage1.find((r) => r.model === 'x-ai/grok-4')!.phase).toBe('done');
  });
});

describe('runFromMessage', () => {
  it('shows a stored run as it was: answers, failures, rankings, final answer', () => {
    const run = runFromMessage(STORED);
    expect(run.status).toBe('complete');
    expect(run.stage1.map((r) => [r.model, r.phase])).toEqual([
      ['openai/gpt-5.1', 'done'],
      ['google/gemini-3-pro-preview', 'done'],
      ['x-ai/grok-4', 'failed'],
    ]);
    expect(run.stage1[0]).toMatchObject({ fallbackFrom: 'openai/gpt-5.1', answeredBy: 'openai/gpt-4o-mini' });
    expect(run.stage1[2]!.error).toMatchObject({ kind: 'auth', status: 401 });
    expect(run.stage2[0]!.parsedRanking).toEqual(['Response B', 'Response A']);
    expect(run.stage3!.text).toBe('The final answer.');
    expect(run.simulated).toBe(true);
  });

  it('shows an interrupted run with its partial results', () => {
    const run = runFromMessage({ ...STORED, status: 'interrupted', stage2: [], stage3: null, metadata: {} });
    expect(run.status).toBe('interrupted');
    expect(run.stage1.filter((r) => r.phase === 'done')).toHaveLength(2);
    expect(run.stage3).toBeNull();
  });

  it('marks a degraded final answer', () => {
    const run = runFromMessage({ ...STORED, stage3: { ...STORED.stage3!, model: null, degraded: true, degraded_reason: 'every chairman failed' } });
    expect(run.stage3).toMatchObject({ degraded: true, degradedReason: 'every chairman failed' });
  });

  it('applies retry events on top of the stored partial run', () => {
    const partial = runFromMessage({ ...STORED, status: 'interrupted', stage2: [], stage3: null });
    const resumed = [
      { type: 'stage2_start' } as const,
      { type: 'stage2_complete', data: STORED.stage2, metadata: METADATA } as const,
      { type: 'complete' } as const,
    ].reduce(applyEvent, { ...partial, status: 'running' as const });
    expect(resumed.stage1.filter((r) => r.phase === 'done')).toHaveLength(2);
    expect(resumed.stage2).toHaveLength(2);
    expect(resumed.status).toBe('complete');
  });
});
