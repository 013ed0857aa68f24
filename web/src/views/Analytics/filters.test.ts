import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { parseRoute, hrefOf } from '../../lib/route';
import { EmptyAnalytics } from './Analytics';
import { compactNumber, domainOf, formatEstimate, formatFigure, niceCeil, ticksOf, upperDomain } from './figures';
import { apiFilters, NO_FILTERS, optionList, periodFor } from './filters';
import { figureRow, weightingText } from './shape';

const NOW = new Date('2026-12-04T12:00:00Z');

describe('filters as the API takes them', () => {
  it('leaves out what is not set', () => {
    expect(apiFilters(NO_FILTERS, NOW)).toEqual({});
  });

  it('passes preset, model and user, and a recent range as since', () => {
    const f = apiFilters({ ...NO_FILTERS, preset: 'fast', model: 'x/a', userId: 'u1', range: '7d' }, NOW);
    expect(f).toEqual({ preset: 'fast', model: 'x/a', userId: 'u1', since: '2026-11-27T12:00:00.000Z' });
  });

  it('includes the "to" day of a custom range (the API’s until is exclusive)', () => {
    const f = apiFilters({ ...NO_FILTERS, range: 'custom', from: '2026-11-01', to: '2026-11-30' }, NOW);
    expect(new Date(f.since!).getDate()).toBe(1);
    expect(Date.parse(f.until!) - Date.parse(f.since!)).toBe(30 * 86_400_000);
  });

  it('ignores a custom range not filled in yet', () => {
    expect(apiFilters({ ...NO_FILTERS, range: 'custom', from: '', to: '' }, NOW)).toEqual({});
  });

  it('buckets agreement over time per day for a month or less, else per week', () => {
    expect(periodFor({ ...NO_FILTERS, range: '7d' })).toBe('day');
    expect(periodFor({ ...NO_FILTERS, range: 'all' })).toBe('week');
    expect(periodFor({ ...NO_FILTERS, range: 'custom', from: '2026-11-01', to: '2026-11-20' })).toBe('day');
    expect(periodFor({ ...NO_FILTERS, range: 'custom', from: '2026-01-01', to: '2026-11-20' })).toBe('week');
  });

  it('offers each preset or model once, sorted, without blanks', () => {
    expect(optionList(['b', 'a'], [null, 'b', 'c'], [''])).toEqual(['a', 'b', 'c']);
  });
});

describe('numbers and axes', () => {
  it('writes shares as percentages and strengths signed', () => {
    expect(formatFigure(0.666, 'share')).toBe('67 %');
    expect(formatFigure(0.42, 'signed')).toBe('+0.42');
    expect(formatFigure(-0.42, 'signed')).toBe('−0.42');
    expect(formatFigure(-0.001, 'signed')).toBe('0.00');
    expect(formatFigure(null, 'share')).toBe('–');
    expect(formatEstimate({ value: 0.5, ci_low: 0.2, ci_high: 0.8 }, 'share')).toBe('50 % [20 %, 80 %]');
    expect(formatEstimate({ value: 0.5, ci_low: null, ci_high: null }, 'share')).toBe('50 %');
  });

  it('makes a signed axis symmetric and wide enough for every interval', () => {
    const rows = [figureRow('a', { value: 0.3, ci_low: -0.1, ci_high: 1.3, n: 30, small_sample: false })];
    expect(domainOf(rows, 'signed')).toEqual([-1.5, 1.5]);
    expect(domainOf([], 'signed')).toEqual([-0.15, 0.15]);
    expect(domainOf(rows, 'share')).toEqual([0, 1]);
    expect(niceCeil(0.37)).toBe(0.5);
    expect(niceCeil(3)).toBe(5);
  });

  it('labels both ends and the middle of an axis, with short numbers', () => {
    expect(ticksOf([-1, 1])).toEqual([-1, -0.5, 0, 0.5, 1]);
    const costs = [figureRow('a', { value: 0.0052, ci_low: null, ci_high: null, n: 9, small_sample: true })];
    expect(upperDomain(costs)).toEqual([0, 0.01]);
    expect(upperDomain([])).toEqual([0, 1]);
    expect(ticksOf(upperDomain(costs)).map(compactNumber)).toEqual(['0', '0.002', '0.004', '0.006', '0.008', '0.01']);
    expect(ticksOf([-2.5, 2.5])).toEqual([-2.5, 0, 2.5]);
    expect(ticksOf([0, 1])).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(compactNumber(1500)).toBe('1.5k');
  });
});

describe('the page', () => {
  it('is at #/analytics', () => {
    expect(parseRoute('#/analytics')).toEqual({ kind: 'analytics' });
    expect(hrefOf({ kind: 'analytics' })).toBe('#/analytics');
  });

  it('says why it is empty: no runs at all, or none matching the filters', () => {
    expect(renderToStaticMarkup(createElement(EmptyAnalytics, { filtered: false }))).toContain('No council has finished yet');
    expect(renderToStaticMarkup(createElement(EmptyAnalytics, { filtered: true }))).toContain('No finished run matches these filters');
  });

  it('says in one line whether reviewer weights are applied', () => {
    expect(weightingText(false)).toMatch(/^Weighting is off: every reviewer counts the same/);
    expect(weightingText(true)).toMatch(/^Weighting is on:/);
  });
});
