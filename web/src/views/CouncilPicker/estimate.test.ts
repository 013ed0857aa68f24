import { describe, expect, it } from 'vitest';
import {
  ANSWER,
  PROMPT_TOKENS,
  QUESTION_TOKENS,
  REVIEW,
  SYNTHESIS,
  estimateCost,
  formatContext,
  formatDollars,
  perMillion,
  plannedCalls,
  type Prices,
} from './estimate';

const M = 1 / 1_000_000;
const prices = new Map<string, Prices>([
  ['a/one', { prompt_price: 1 * M, completion_price: 10 * M }],
  ['b/two', { prompt_price: 2 * M, completion_price: 20 * M }],
  ['c/free', { prompt_price: 0, completion_price: 0 }],
]);
const ASK = QUESTION_TOKENS + PROMPT_TOKENS;

describe('plannedCalls', () => {
  it('classic: every member answers and reviews, the chairman synthesises', () => {
    const calls = plannedCalls(['a/one', 'b/two'], 'a/one');
    expect(calls.map((c) => c.model)).toEqual(['a/one', 'b/two', 'a/one', 'b/two', 'a/one']);
    const [, , review, , synthesis] = calls;
    expect(review?.input.low).toBe(ASK + 2 * ANSWER.low); // a review reads both answers
    expect(synthesis?.input.high).toBe(ASK + 2 * ANSWER.high + 2 * REVIEW.high);
    expect(synthesis?.output).toEqual(SYNTHESIS);
  });

  it('fewer stages in answers and select, a revision round in revise', () => {
    expect(plannedCalls(['a/one', 'b/two'], 'a/one', 'answers')).toHaveLength(2);
    expect(plannedCalls(['a/one', 'b/two'], 'a/one', 'select')).toHaveLength(4);
    expect(plannedCalls(['a/one', 'b/two'], 'a/one', 'revise')).toHaveLength(7);
  });
});

describe('estimateCost', () => {
  it('prices each call at the low and high end of its token range', () => {
    const est = estimateCost(prices, ['a/one'], 'a/one');
    const low =
      ASK * M + ANSWER.low * 10 * M + (ASK + ANSWER.low) * M + REVIEW.low * 10 * M +
      (ASK + ANSWER.low + REVIEW.low) * M + SYNTHESIS.low * 10 * M;
    expect(est.low).toBeCloseTo(low, 12);
    expect(est.high).toBeGreaterThan(est.low);
    expect(est.unpriced).toEqual([]);
  });

  it('grows with a dearer chairman and with more members', () => {
    const cheapChair = estimateCost(prices, ['a/one', 'b/two'], 'a/one');
    const dearChair = estimateCost(prices, ['a/one', 'b/two'], 'b/two');
    expect(dearChair.high).toBeGreaterThan(cheapChair.high);
    const three = estimateCost(prices, ['a/one', 'b/two', 'c/free'], 'a/one');
    expect(three.high).toBeGreaterThan(cheapChair.high); // the chairman reads a third answer
  });

  it('names models without prices and leaves them out', () => {
    const est = estimateCost(prices, ['a/one', 'x/unknown'], 'x/unknown');
    expect(est.unpriced).toEqual(['x/unknown']);
    expect(est.low).toBeGreaterThan(0);
  });
});

describe('formatting', () => {
  it('reads as people read prices and context windows', () => {
    expect(formatDollars(0.0004)).toBe('< $0.001');
    expect(formatDollars(0.0123)).toBe('$0.012');
    expect(formatDollars(1.5)).toBe('$1.50');
    expect(perMillion(2.5 * M)).toBe('$2.50/M');
    expect(perMillion(15 * M)).toBe('$15/M');
    expect(perMillion(null)).toBe('—');
    expect(formatContext(1_048_576)).toBe('1M');
    expect(formatContext(2_000_000)).toBe('2M');
    expect(formatContext(262_144)).toBe('262K');
    expect(formatContext(null)).toBe('—');
  });
});
