/**
 * One council run as the UI shows it, whether it is streaming now or was loaded from the store.
 *
 * `runFromMessage` builds it from a stored assistant message; `applyEvent` advances it with each
 * stream event. Views render only `RunView`, so a reloaded conversation looks as it did live.
 */
import type { CouncilEvent, StageNumber } from '../api/events';
import type {
  AssistantMessage,
  ModelFailure,
  RunMetadata,
  RunStatus,
  Stage1Result,
  Stage2Result,
  Stage3Result,
  Usage,
  Vote,
} from '../api/types';

export type ModelPhase = 'waiting' | 'streaming' | 'done' | 'failed';

export interface ModelView {
  model: string;
  text: string;
  phase: ModelPhase;
  answeredBy: string | null;
  /** The model that failed and was replaced by `answeredBy` (a fallback answered). */
  fallbackFrom: string | null;
  fallbackReason: string | null;
  usage: Usage | null;
  latencyMs: number | null;
  ttftMs: number | null;
  error: ModelFailure | null;
  simulated: boolean;
  /** "length": the output limit cut the answer (it can be continued). */
  finishReason: string | null;
}

export interface ReviewerView extends ModelView {
  /** The stored review has arrived: until then its ranking is unread, not unreadable. */
  settled: boolean;
  parsedRanking: string[];
  parseStatus: string | null;
  parseIssues: string[];
  parseReason: string | null;
  parseConflict: string | null;
  presentationOrder: string[];
  ownLabel: string | null;
  vote: Vote | null;
  repair: { asked: boolean; reply: string; status: string } | null;
  reasoning: string | null;
}

export interface ChairmanView extends ModelView {
  degraded: boolean;
  degradedReason: string | null;
  /** For a degraded result: the member whose answer stands in for the synthesis. */
  topRankedModel: string | null;
  /** synthesis, degraded, selected (mode select), answers (mode answers), unanimous (early stop). */
  kind: string | null;
  structured: StructuredSynthesis | null;
  structuredNote: string | null;
  reviewSummary: string | null;
  selectedModel: string | null;
  earlyStop: { kind?: string; reason?: string; round?: number } | null;
}

export type StructuredSynthesis = NonNullable<Stage3Result['structured']>;

export type RunPhase = 'starting' | 'stage1' | 'stage2' | 'stage3' | 'finished';

export interface RunView {
  runId: string | null;
  status: RunStatus;
  phase: RunPhase;
  members: string[];
  chairman: string | null;
  preset: string | null;
  simulated: boolean;
  /** How the council deliberates (classic, select, answers, revise, self-moa). */
  mode: string;
  /** Mode revise: the answers of each earlier round (the first answers, round 1, …); `stage1`
   * holds the latest. */
  rounds: ModelView[][];
  /** The revision round `stage1` shows (0: the first answers). */
  round: number;
  stage1: ModelView[];
  stage2: ReviewerView[];
  stage3: ChairmanView | null;
  metadata: RunMetadata | null;
  errors: ModelFailure[];
  error: { message: string; code: string | null } | null;
  /** Set while streaming when the connection broke before the run finished. */
  connectionLost: string | null;
}

function blankModel(model: string): ModelView {
  return {
    model,
    text: '',
    phase: 'waiting',
    answeredBy: null,
    fallbackFrom: null,
    fallbackReason: null,
    usage: null,
    latencyMs: null,
    ttftMs: null,
    error: null,
    simulated: false,
    finishReason: null,
  };
}

function blankReviewer(model: string): ReviewerView {
  return {
    ...blankModel(model),
    settled: false,
    parsedRanking: [],
    parseStatus: null,
    parseIssues: [],
    parseReason: null,
    parseConflict: null,
    presentationOrder: [],
    ownLabel: null,
    vote: null,
    repair: null,
    reasoning: null,
  };
}

function blankChairman(model: string): ChairmanView {
  return {
    ...blankModel(model),
    degraded: false,
    degradedReason: null,
    topRankedModel: null,
    kind: null,
    structured: null,
    structuredNote: null,
    reviewSummary: null,
    selectedModel: null,
    earlyStop: null,
  };
}

export function newRun(init: Partial<Pick<RunView, 'members' | 'chairman' | 'preset' | 'mode'>> = {}): RunView {
  const members = init.members ?? [];
  return {
    runId: null,
    status: 'running',
    phase: 'starting',
    members,
    chairman: init.chairman ?? null,
    preset: init.preset ?? null,
    simulated: false,
    mode: init.mode ?? 'classic',
    rounds: [],
    round: 0,
    stage1: members.map(blankModel),
    stage2: [],
    stage3: null,
    metadata: null,
    errors: [],
    error: null,
    connectionLost: null,
  };
}

function stage1View(r: Stage1Result): ModelView {
  return {
    ...blankModel(r.model),
    text: r.response,
    phase: 'done',
    answeredBy: r.answered_by ?? null,
    fallbackFrom: r.fallback_from ?? null,
    fallbackReason: r.fallback_reason ?? null,
    usage: r.usage ?? null,
    latencyMs: r.latency_ms ?? null,
    ttftMs: r.ttft_ms ?? null,
    simulated: r.simulated ?? false,
    finishReason: r.finish_reason ?? null,
  };
}

function stage2View(r: Stage2Result): ReviewerView {
  return {
    ...blankReviewer(r.model),
    text: r.ranking,
    phase: 'done',
    answeredBy: r.answered_by ?? null,
    usage: r.usage ?? null,
    latencyMs: r.latency_ms ?? null,
    settled: true,
    parsedRanking: r.parsed_ranking,
    parseStatus: r.parse_status ?? null,
    parseIssues: r.parse_issues ?? [],
    parseReason: r.parse_reason ?? null,
    parseConflict: r.parse_conflict ?? null,
    presentationOrder: r.presentation_order ?? [],
    ownLabel: r.own_label ?? null,
    vote: r.vote ?? null,
    repair: r.repair ?? null,
    reasoning: r.reasoning ?? null,
  };
}

function stage3View(r: Stage3Result): ChairmanView {
  return {
    ...blankChairman(r.model ?? 'chairman'),
    text: r.response,
    phase: 'done',
    answeredBy: r.answered_by ?? null,
    fallbackFrom: r.fallback_from ?? null,
    fallbackReason: r.fallback_reason ?? null,
    usage: r.usage ?? null,
    latencyMs: r.latency_ms ?? null,
    simulated: r.simulated ?? false,
    degraded: r.degraded ?? false,
    degradedReason: r.degraded_reason ?? null,
    topRankedModel: r.top_ranked_model ?? null,
    finishReason: r.finish_reason ?? null,
    kind: r.kind ?? null,
    structured: r.structured ?? null,
    structuredNote: r.structured_note ?? null,
    reviewSummary: r.review_summary ?? null,
    selectedModel: r.selected_model ?? null,
    earlyStop: (r.early_stop as ChairmanView['earlyStop']) ?? null,
  };
}

/**
 * An earlier turn an API client supplied through the OpenAI-compatible endpoint: stored as a
 * finished run that never ran (no stage 1 or 2, a stage 3 with no model). Shown as a plain prior
 * answer, not as a council's.
 */
export function isSeeded(m: AssistantMessage): boolean {
  return Boolean(m.seeded || m.council?.seeded || m.stage3?.seeded);
}

/** Orders rows as the council's members are listed; models not listed keep their order after. */
function orderBy<T extends { model: string }>(rows: T[], order: string[]): T[] {
  const rank = (m: string) => {
    const i = order.indexOf(m);
    return i === -1 ? order.length : i;
  };
  return rows.map((r, i) => ({ r, i })).sort((a, b) => rank(a.r.model) - rank(b.r.model) || a.i - b.i).map((x) => x.r);
}

/** Rows for the models that failed without a result, so they show with their reason. */
function withFailures<T extends ModelView>(rows: T[], failures: ModelFailure[], stage: number, blank: (m: string) => T): T[] {
  let out = rows;
  for (const f of failures) {
    if (f.stage !== stage) continue;
    if (out.some((r) => r.model === f.model)) {
      out = out.map((r) => (r.model === f.model && r.phase !== 'done' ? { ...r, phase: 'failed', error: f } : r));
    } else out = [...out, { ...blank(f.model), phase: 'failed', error: f }];
  }
  return out;
}

function runError(error: AssistantMessage['error']): RunView['error'] {
  if (!error) return null;
  if (typeof error === 'string') return { message: error, code: null };
  return { message: error.message, code: error.code ?? null };
}

/** Stage 2 metadata only counts once the reviews are in; before that the server sends `{}`. */
function stageMetadata(meta: RunMetadata | null | undefined): RunMetadata | null {
  return meta && (meta.label_to_model || meta.ranking_skipped) ? meta : null;
}

export function runFromMessage(m: AssistantMessage): RunView {
  const meta = stageMetadata(m.metadata);
  const council = m.council ?? {};
  const members = council.members?.length
    ? council.members
    : meta?.members?.length
      ? meta.members
      : m.stage1.map((r) => r.model);
  const errors = m.errors ?? [];
  let stage1 = withFailures(m.stage1.map(stage1View), errors, 1, blankModel);
  if (m.status === 'running') {
    for (const member of members) if (!stage1.some((r) => r.model === member)) stage1.push(blankModel(member));
  }
  stage1 = orderBy(stage1, members);
  const rounds = (m.stage1_rounds ?? []).map((answers) => orderBy(answers.map(stage1View), members));
  const stage2 = orderBy(withFailures(m.stage2.map(stage2View), errors, 2, blankReviewer), members);
  let stage3 = m.stage3 ? stage3View(m.stage3) : null;
  const chairmanFailures = errors.filter((f) => f.stage === 3);
  if (!stage3 && chairmanFailures.length > 0) {
    const first = chairmanFailures[0]!;
    stage3 = { ...blankChairman(first.model), phase: 'failed', error: first };
  }
  const finished = m.status !== 'running';
  return {
    runId: m.run_id,
    status: m.status,
    phase: finished ? 'finished' : m.stage3 ? 'finished' : m.stage2.length ? 'stage3' : m.stage1.length ? 'stage2' : 'stage1',
    members,
    chairman: council.chairman ?? meta?.chairman ?? m.stage3?.model ?? null,
    preset: council.preset ?? meta?.preset ?? null,
    simulated: m.simulated,
    mode: m.mode ?? 'classic',
    rounds: rounds.slice(0, -1),
    round: Math.max(0, rounds.length - 1),
    stage1,
    stage2,
    stage3,
    metadata: meta,
    errors,
    error: runError(m.error),
    connectionLost: null,
  };
}

type AnyView = ModelView | ReviewerView | ChairmanView;

function updateRow(run: RunView, stage: StageNumber, model: string, change: (row: AnyView) => AnyView): RunView {
  if (stage === 3) {
    const current = run.stage3 ?? blankChairman(model);
    return { ...run, stage3: change(current) as ChairmanView };
  }
  if (stage === 1) {
    const rows = run.stage1.some((r) => r.model === model) ? run.stage1 : [...run.stage1, blankModel(model)];
    return { ...run, stage1: rows.map((r) => (r.model === model ? (change(r) as ModelView) : r)) };
  }
  const rows = run.stage2.some((r) => r.model === model) ? run.stage2 : [...run.stage2, blankReviewer(model)];
  return { ...run, stage2: rows.map((r) => (r.model === model ? (change(r) as ReviewerView) : r)) };
}

function keepFailed<T extends ModelView>(incoming: T[], previous: T[]): T[] {
  const out = [...incoming];
  for (const p of previous) if (p.phase === 'failed' && !out.some((r) => r.model === p.model)) out.push(p);
  return out;
}

function mergeFailures(known: ModelFailure[], more: ModelFailure[] | undefined): ModelFailure[] {
  const out = [...known];
  for (const f of more ?? []) if (!out.some((e) => e.stage === f.stage && e.model === f.model)) out.push(f);
  return out;
}

/** Advances a run by one stream event. Pure: returns a new object when something changed. */
export function applyEvent(run: RunView, event: CouncilEvent): RunView {
  switch (event.type) {
    case 'run_start': {
      const members = event.members?.length ? event.members : run.members;
      const stage1 = run.stage1.length ? run.stage1 : members.map(blankModel);
      return {
        ...run,
        runId: event.run_id,
        status: 'running',
        members,
        chairman: event.chairman ?? run.chairman,
        preset: event.preset ?? run.preset,
        mode: event.mode ?? run.mode,
        simulated: event.simulated ?? run.simulated,
        stage1: orderBy(stage1, members),
        error: null,
        connectionLost: null,
      };
    }
    case 'stage1_start':
      return { ...run, phase: 'stage1' };
    case 'revision_start':
      // The answers so far become a round of their own; the members write again.
      return {
        ...run,
        rounds: [...run.rounds, run.stage1],
        round: event.round,
        stage1: run.stage1.map((r) => (r.phase === 'failed' ? r : { ...blankModel(r.model), phase: 'waiting' })),
      };
    case 'revision_complete': {
      const errors = mergeFailures(run.errors, event.errors);
      const rows = event.data.map(stage1View);
      return { ...run, errors, round: event.round, stage1: orderBy(rows, run.members) };
    }
    case 'stage2_start':
      return { ...run, phase: 'stage2' };
    case 'stage3_start':
      return { ...run, phase: 'stage3', stage3: run.stage3 ?? (run.chairman ? blankChairman(run.chairman) : null) };
    case 'model_delta':
      return updateRow(run, event.stage, event.model, (row) => ({
        ...row,
        text: row.text + event.text,
        phase: 'streaming',
      }));
    case 'model_reset':
      return updateRow(run, event.stage, event.model, (row) => ({ ...row, text: '' }));
    case 'model_fallback':
      return updateRow(run, event.stage, event.model, (row) => ({
        ...row,
        text: '',
        phase: 'streaming',
        answeredBy: event.fallback,
        fallbackFrom: row.fallbackFrom ?? event.model,
        fallbackReason: event.reason,
      }));
    case 'model_complete':
      return updateRow(run, event.stage, event.model, (row) => ({
        ...row,
        phase: 'done',
        error: null,
        answeredBy: event.answered_by ?? row.answeredBy,
        usage: event.usage ?? row.usage,
        latencyMs: event.latency_ms ?? row.latencyMs,
        ttftMs: event.ttft_ms ?? row.ttftMs,
        fallbackFrom: event.fallback_from ?? row.fallbackFrom,
        fallbackReason: event.fallback_reason ?? row.fallbackReason,
      }));
    case 'model_error': {
      const { type: _type, ...failure } = event;
      const next = updateRow(run, failure.stage as StageNumber, failure.model, (row) => ({ ...row, phase: 'failed', error: failure }));
      return { ...next, errors: mergeFailures(run.errors, [failure]) };
    }
    case 'stage1_complete': {
      const errors = mergeFailures(run.errors, event.errors);
      const rows = withFailures(keepFailed(event.data.map(stage1View), run.stage1), event.errors ?? [], 1, blankModel);
      return { ...run, errors, stage1: orderBy(rows, run.members), simulated: run.simulated || event.data.some((r) => r.simulated) };
    }
    case 'stage2_complete': {
      const errors = mergeFailures(run.errors, event.errors);
      const rows = withFailures(keepFailed(event.data.map(stage2View), run.stage2), event.errors ?? [], 2, blankReviewer);
      return { ...run, errors, stage2: orderBy(rows, run.members), metadata: stageMetadata(event.metadata) };
    }
    case 'stage3_complete': {
      const errors = mergeFailures(run.errors, event.errors);
      return { ...run, errors, stage3: stage3View(event.data) };
    }
    case 'title_complete':
      return run;
    case 'complete':
      return { ...run, status: 'complete', phase: 'finished', metadata: event.metadata ?? run.metadata };
    case 'error': {
      const cancelled = event.code === 'cancelled';
      const errors = mergeFailures(run.errors, event.failures);
      return {
        ...run,
        status: cancelled ? 'cancelled' : 'failed',
        phase: 'finished',
        errors,
        error: { message: event.message, code: event.code ?? null },
      };
    }
  }
}

/** Models still producing text when the run stopped are no longer "streaming". */
export function settle(run: RunView): RunView {
  const calm = <T extends ModelView>(r: T): T => (r.phase === 'streaming' || r.phase === 'waiting' ? { ...r, phase: r.text ? 'done' : 'waiting' } : r);
  return { ...run, stage1: run.stage1.map(calm), stage2: run.stage2.map(calm), stage3: run.stage3 ? calm(run.stage3) : null };
}
