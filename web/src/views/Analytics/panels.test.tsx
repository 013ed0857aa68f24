import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { AgreementReport, Estimate, ReviewersReport } from '../../api/analytics';
import { Agreement } from './Agreement';
import { Reviewers } from './Reviewers';

function est(value: number | null, n: number): Estimate {
  return { value, ci_low: value, ci_high: value, n, small_sample: n < 20 };
}

const FILTERS = { preset: null, model: null, since: null, until: null, user_id: null };

function agreement(patch: Partial<AgreementReport> = {}): AgreementReport {
  return {
    filters: FILTERS,
    votes: 25,
    council_top_picked: est(0.6, 25),
    by_preset: [{ key: 'default', council_top_picked: est(0.6, 25) }],
    over_time: [{ key: '2026-11-30', council_top_picked: est(0.6, 25) }],
    period: 'week',
    rated_up: est(0.8, 25),
    council_wrong: est(0.04, 25),
    reviewers: [
      { model: 'x/a', agrees_with_people: est(0.7, 25), weight: 1.17 },
      { model: 'x/b', agrees_with_people: est(0.5, 12), weight: 0.83 },
    ],
    weighting_enabled: false,
    ...patch,
  };
}

const render = (report: AgreementReport) => renderToStaticMarkup(<Agreement report={report} period="week" onPeriod={() => undefined} />);

describe('people and the council', () => {
  it('shows each reviewer’s weight, says weighting is off, and flags a small sample', () => {
    const html = render(agreement());
    expect(html).toContain('Weighting off');
    expect(html).toContain('every reviewer counts the same');
    expect(html).toContain('1.17');
    expect(html).toContain('0.83');
    expect(html).not.toContain('Applied now');
    // x/a rests on 25 votes, x/b on 12: only x/b says so.
    expect(html.match(/· small sample/g)).toHaveLength(1);
    expect(html).toContain('n = 25 votes');
  });

  it('shows the weights applied now when the server applies them', () => {
    const report = agreement({
      weighting_enabled: true,
      reviewers: [{ model: 'x/a', agrees_with_people: est(0.7, 25), weight: 1.17, applied_weight: 1.5 } as AgreementReport['reviewers'][number]],
    });
    const html = render(report);
    expect(html).toContain('Weighting on');
    expect(html).toContain('Applied now');
    expect(html).toContain('1.50');
  });

  it('says nobody has voted instead of drawing empty charts', () => {
    const html = render(agreement({ votes: 0, council_top_picked: est(null, 0), by_preset: [], over_time: [] }));
    expect(html).toContain('Nobody has voted on these runs yet');
    expect(html).not.toContain('Agreement over time');
  });
});

describe('reviewers', () => {
  it('says when the runs had no review stage', () => {
    const report: ReviewersReport = { filters: FILTERS, runs: 2, reviewers: [] };
    expect(renderToStaticMarkup(<Reviewers report={report} />)).toContain('No reviews in these runs');
  });
});
