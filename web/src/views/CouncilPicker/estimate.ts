/**
 * What one question to a council may cost, from the catalogue's prices and typical token counts.
 *
 * How it is estimated (shown to the user in `ESTIMATE_METHOD`): every member answers (ANSWER
 * tokens out), every member reviews all the answers (the answers in, REVIEW tokens out), and the
 * chairman reads the answers and the reviews and writes the synthesis (SYNTHESIS tokens out). Each
 * call also reads the question and the stage's instructions (PROMPT). The low end takes the short
 * end of each range, the high end the long one. Reasoning tokens, the title and earlier turns of a
 * conversation are not counted; a model without prices is left out and named.
 */
export interface Range {
  low: number;
  high: number;
}

export const QUESTION_TOKENS = 150;
export const PROMPT_TOKENS = 300; // a stage's instructions around the question
export const ANSWER: Range = { low: 400, high: 1500 };
export const REVIEW: Range = { low: 200, high: 700 };
export const SYNTHESIS: Range = { low: 500, high: 1500 };

export const ESTIMATE_METHOD =
  `Each member answers (${ANSWER.low}–${ANSWER.high} tokens), reviews every answer ` +
  `(${REVIEW.low}–${REVIEW.high} tokens), and the chairman reads it all and writes ` +
  `${SYNTHESIS.low}–${SYNTHESIS.high} tokens, at the catalogue's prices. ` +
  'Reasoning tokens, the title and earlier turns are not counted.';

/** US dollars per token, as the catalogue lists them. */
export interface Prices {
  prompt_price?: number | null;
  completion_price?: number | null;
}

export type Mode = 'classic' | 'select' | 'revise' | 'self-moa' | 'answers';
export const MODES: readonly Mode[] = ['classic', 'select', 'revise', 'self-moa', 'answers'];

export interface Estimate extends Range {
  /** Models of the council the catalogue has no prices for: their calls are not counted. */
  unpriced: string[];
}

interface Call {
  model: string;
  input: Range;
  output: Range;
}

function cost(prices: Prices, call: Call, end: 'low' | 'high'): number {
  return call.input[end] * (prices.prompt_price ?? 0) + call.output[end] * (prices.completion_price ?? 0);
}

const scale = (r: Range, n: number, plus = 0): Range => ({ low: r.low * n + plus, high: r.high * n + plus });

/** The calls one question makes in `mode`: who is called, with how many tokens in and out. */
export function plannedCalls(members: string[], chairman: string, mode: Mode = 'classic'): Call[] {
  const n = members.length;
  const ask: Range = { low: QUESTION_TOKENS + PROMPT_TOKENS, high: QUESTION_TOKENS + PROMPT_TOKENS };
  const answersIn = scale(ANSWER, n, QUESTION_TOKENS + PROMPT_TOKENS);
  const calls: Call[] = members.map((model) => ({ model, input: ask, output: ANSWER }));
  if (mode === 'revise') calls.push(...members.map((model) => ({ model, input: answersIn, output: ANSWER })));
  if (mode === 'answers') return calls;
  calls.push(...members.map((model) => ({ model, input: answersIn, output: REVIEW })));
  if (mode === 'select') return calls;
  const reviewsIn = scale(REVIEW, n);
  calls.push({
    model: chairman,
    input: { low: answersIn.low + reviewsIn.low, high: answersIn.high + reviewsIn.high },
    output: SYNTHESIS,
  });
  return calls;
}

/** The cost range of one question, in US dollars; `catalogue` maps a model id to its prices. */
export function estimateCost(
  catalogue: ReadonlyMap<string, Prices>,
  members: string[],
  chairman: string,
  mode: Mode = 'classic',
): Estimate {
  const estimate: Estimate = { low: 0, high: 0, unpriced: [] };
  for (const call of plannedCalls(members, chairman, mode)) {
    const prices = catalogue.get(call.model);
    if (!prices || prices.prompt_price == null || prices.completion_price == null) {
      if (call.model && !estimate.unpriced.includes(call.model)) estimate.unpriced.push(call.model);
      continue;
    }
    estimate.low += cost(prices, call, 'low');
    estimate.high += cost(prices, call, 'high');
  }
  return estimate;
}

/** "$0.012", "$0.31", "$4.20", "< $0.001". */
export function formatDollars(value: number): string {
  if (value > 0 && value < 0.001) return '< $0.001';
  if (value < 0.1) return `$${value.toFixed(3)}`;
  return `$${value.toFixed(2)}`;
}

/** Dollars per million tokens, as people read prices: "$2.50/M". */
export function perMillion(price: number | null | undefined): string {
  if (price == null) return '—';
  const m = price * 1_000_000;
  return `$${m >= 10 ? m.toFixed(0) : m.toFixed(2)}/M`;
}

/** "1M", "256K", "8K". */
export function formatContext(tokens: number | null | undefined): string {
  if (!tokens) return '—';
  if (tokens >= 1_000_000) return `${+(tokens / 1_000_000).toFixed(1)}M`;
  return `${Math.round(tokens / 1000)}K`;
}
