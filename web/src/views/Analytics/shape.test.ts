import { describe, expect, it } from 'vitest';
import type { AgreementReport, CostsReport, Estimate, ModelsReport, ReviewersReport } from '../../api/analytics';
import {
  agreementTrend,
  byValue,
  clampRows,
  figureRow,
  hasAnyData,
  isSmallSample,
  modelCostQuality,
  presetAgreementRows,
  presetCostQuality,
  reviewerRows,
  sampleText,
  shortNames,
  strengthRows,
} from './shape';

function est(value: number | null, n: number, low: number | null = null, high: number | null = null): Estimate {
  return { value, ci_low: low, ci_high: high, n, small_sample: n < 20 };
}

const FILTERS = { preset: null, model: null, since: null, until: null, user_id: null };

function answerer(model: string, strength: Estimate, human: Estimate = est(null, 0)): ModelsReport['models'][number] {
  return {
    model,
    answers: 3,
    strength,
    length_controlled_strength: strength,
    human_strength: human,
    win_rate: est(0.5, strength.n, 0.3, 0.7),
    top_rate: est(0.3, 3),
    human_pick_rate: est(null, 0),
    first_place_votes: 0,
  };
}

function modelsReport(models: ModelsReport['models']): ModelsReport {
  return { filters: FILTERS, runs: 3, interval_method: 'bootstrap_runs', length_effect: est(0.1, 30, -0.2, 0.4), models, chairmen: [] };
}

function agreementReport(patch: Partial<AgreementReport> = {}): AgreementReport {
  return {
    filters: FILTERS,
    votes: 0,
    council_top_picked: est(null, 0),
    by_preset: [],
    over_time: [],
    period: 'day',
    rated_up: est(null, 0),
    council_wrong: est(null, 0),
    reviewers: [],
    weighting_enabled: false,
    ...patch,
  };
}

describe('the small-sample rule', () => {
  it('flags fewer than 20 cases, as the server does', () => {
    expect(isSmallSample(19)).toBe(true);
    expect(isSmallSample(20)).toBe(false);
  });

  it('says n, and says a small sample or no data instead of hiding the figure', () => {
    expect(sampleText(240, false)).toBe('n = 240');
    expect(sampleText(1200, false)).toBe('n = 1,200');
    expect(sampleText(18, true)).toBe('n = 18 · small sample');
    expect(sampleText(0, true)).toBe('n = 0 · no data');
    expect(sampleText(36, false, 'comparisons')).toBe('n = 36 comparisons');
    expect(sampleText(1, true, 'votes')).toBe('n = 1 vote · small sample');
  });
});

describe('figure rows', () => {
  it('turns an interval into the distances an error bar draws', () => {
    const row = figureRow('m', est(0.4, 30, 0.1, 0.9));
    expect(row.error?.[0]).toBeCloseTo(0.3);
    expect(row.error?.[1]).toBeCloseTo(0.5);
    expect(row).toMatchObject({ value: 0.4, low: 0.1, high: 0.9, n: 30, small: false });
  });

  it('draws no error bar without an interval or a value', () => {
    expect(figureRow('m', est(0.4, 3)).error).toBeNull();
    expect(figureRow('m', est(null, 0, 0.1, 0.2)).error).toBeNull();
  });

  it('puts the highest first and keeps rows with no data, last', () => {
    const rows = byValue([figureRow('a', est(null, 0)), figureRow('b', est(-0.5, 30)), figureRow('c', est(0.7, 30))]);
    expect(rows.map((r) => r.key)).toEqual(['c', 'b', 'a']);
  });
});

describe('bounded figures', () => {
  it('cuts an interval that leaves the range a correlation can take, keeping the value', () => {
    const [row] = clampRows([figureRow('m', est(0.6, 3, -0.2, 1.4))], -1, 1);
    expect(row).toMatchObject({ value: 0.6, low: -0.2, high: 1 });
    expect(row!.error?.[0]).toBeCloseTo(0.8);
    expect(row!.error?.[1]).toBeCloseTo(0.4);
    expect(clampRows([figureRow('m', est(0.6, 3))], -1, 1)[0]!.error).toBeNull();
  });
});

describe('model names on an axis', () => {
  it('drops the provider, unless two models would then share a name', () => {
    const names = shortNames(['openai/gpt-5.4', 'x-ai/grok-4', 'azure/gpt-5.4', 'plain']);
    expect(names.get('x-ai/grok-4')).toBe('grok-4');
    expect(names.get('openai/gpt-5.4')).toBe('openai/gpt-5.4');
    expect(names.get('azure/gpt-5.4')).toBe('azure/gpt-5.4');
    expect(names.get('plain')).toBe('plain');
  });
});

describe('strength charts', () => {
  const report = modelsReport([
    answerer('openai/gpt-5.4', est(-0.2, 18, -0.6, 0.2), est(0.5, 4, -1, 2)),
    answerer('x-ai/grok-4', est(0.3, 18, 0, 0.6)),
  ]);

  it('gives peer strength, strongest first, with each model’s comparisons as n', () => {
    const rows = strengthRows(report, 'peer');
    expect(rows.map((r) => [r.label, r.value, r.n, r.small])).toEqual([
      ['grok-4', 0.3, 18, true],
      ['gpt-5.4', -0.2, 18, true],
    ]);
  });

  it('gives strength from people’s votes separately, a model nobody voted on last', () => {
    const rows = strengthRows(report, 'human');
    expect(rows.map((r) => [r.key, r.value, r.n])).toEqual([
      ['openai/gpt-5.4', 0.5, 4],
      ['x-ai/grok-4', null, 0],
    ]);
  });
});

describe('reviewer bias plots', () => {
  const parse = { ok: 3, partial: 0, failed: 1, failure_rate: est(0.25, 4, 0.05, 0.7), repair_rate: est(0.5, 4), repair_success: est(0.5, 2) };
  const reviewer = (model: string, bias: number): ReviewersReport['reviewers'][number] => ({
    model,
    reviews: 4,
    counted: 3,
    position_bias: est(bias, 3, bias - 0.2, bias + 0.2),
    first_position_top: est(0.33, 3),
    first_position_expected: 0.25,
    self_preference: est(0.1, 9),
    length_bias: est(0.2, 3),
    length_bias_kendall: est(0.1, 3),
    length_bias_vs_council: est(0.05, 3),
    agreement: est(0.8, 3),
    parse,
  });
  const report: ReviewersReport = { filters: FILTERS, runs: 4, reviewers: [reviewer('z/b', 0.4), reviewer('z/a', -0.1)] };

  it('keeps the reviewers in one order in every plot', () => {
    expect(reviewerRows(report, 'position_bias').map((r) => [r.label, r.value])).toEqual([
      ['a', -0.1],
      ['b', 0.4],
    ]);
  });

  it('reads the parse rates from the parse figures', () => {
    const [row] = reviewerRows(report, 'failure_rate');
    expect(row).toMatchObject({ value: 0.25, low: 0.05, high: 0.7, n: 4, small: true });
    expect(reviewerRows(report, 'repair_rate')[0]!.value).toBe(0.5);
  });
});

describe('agreement with people', () => {
  it('orders the periods, labels them by date and makes the interval a band', () => {
    const report = agreementReport({
      period: 'day',
      over_time: [
        { key: '2026-12-03', council_top_picked: est(1, 2, 0.34, 1) },
        { key: null, council_top_picked: est(0, 1) },
        { key: '2026-12-01', council_top_picked: est(0.5, 40, 0.35, 0.65) },
      ],
    });
    const rows = agreementTrend(report);
    expect(rows.map((r) => [r.label, r.band, r.n, r.small])).toEqual([
      ['Dec 1', [0.35, 0.65], 40, false],
      ['Dec 3', [0.34, 1], 2, true],
    ]);
  });

  it('names a council with no preset', () => {
    const rows = presetAgreementRows(agreementReport({ by_preset: [{ key: null, council_top_picked: est(0.5, 2) }] }));
    expect(rows[0]!.label).toBe('custom council');
  });
});

describe('cost next to quality', () => {
  const costs: CostsReport = {
    filters: FILTERS,
    by_model: [
      { model: 'x/a', role: 'answer', calls: 3, failed: 0, prompt_tokens: 300, completion_tokens: 600, cost: 0.03, mean_cost: 0.01, mean_latency_ms: 1000 },
      { model: 'x/a', role: 'review', calls: 1, failed: 1, prompt_tokens: 900, completion_tokens: 100, cost: 0.01, mean_cost: 0.01, mean_latency_ms: 2000 },
      { model: 'x/b', role: 'synthesis', calls: 25, failed: 0, prompt_tokens: 10, completion_tokens: 10, cost: null, mean_cost: null, mean_latency_ms: null },
    ],
    by_preset: [
      { preset: null, runs: 2, prompt_tokens: 10, completion_tokens: 5, cost: 0.02, mean_cost: 0.01, mean_duration_ms: 4000 },
      { preset: 'default', runs: 30, prompt_tokens: 100, completion_tokens: 50, cost: 0.3, mean_cost: 0.01, mean_duration_ms: 5000 },
    ],
  };

  it('sums a model’s roles, weights its latency by calls and joins its strength', () => {
    const models = modelsReport([answerer('x/a', est(0.2, 30, 0, 0.4))]);
    const [a, b] = modelCostQuality(costs, models);
    expect(a).toMatchObject({ model: 'x/a', roles: ['answer', 'review'], calls: 4, failed: 1, promptTokens: 1200, completionTokens: 700, small: true });
    expect(a!.cost).toBeCloseTo(0.04);
    expect(a!.costPerCall).toBeCloseTo(0.01);
    expect(a!.meanLatencyMs).toBeCloseTo(1250);
    expect(a!.strength?.value).toBe(0.2);
    // No known cost or latency stays unknown rather than 0; no quality figure for a chairman only.
    expect(b).toMatchObject({ model: 'x/b', cost: null, costPerCall: null, meanLatencyMs: null, small: false, strength: null });
  });

  it('joins each preset with how often people agreed with its council', () => {
    const agreement = agreementReport({ by_preset: [{ key: null, council_top_picked: est(1, 1) }] });
    const rows = presetCostQuality(costs, agreement);
    expect(rows.map((r) => [r.label, r.runs, r.tokens, r.small, r.agreement?.value ?? null])).toEqual([
      ['default', 30, 150, false, null],
      ['custom council', 2, 15, true, 1],
    ]);
  });

  it('says when there is nothing at all to show', () => {
    const none = { models: { ...modelsReport([]), runs: 0 }, costs: { filters: FILTERS, by_model: [], by_preset: [] }, agreement: agreementReport() };
    expect(hasAnyData(none)).toBe(false);
    expect(hasAnyData({ ...none, costs })).toBe(true);
  });
});
