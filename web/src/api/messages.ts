/**
 * The shapes of a conversation's messages and a run's results, from docs/API.md and what the
 * server sends. The OpenAPI schema declares these as free-form objects (`dict[str, Any]`), so
 * they are written here; everything else comes from the generated `schema.d.ts`.
 */

export interface Usage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  cost?: number | null;
}

interface CallCommon {
  answered_by: string | null;
  fallback_from: string | null;
  fallback_reason: string | null;
  usage: Usage | null;
  latency_ms: number | null;
  ttft_ms?: number | null;
  finish_reason?: string | null;
  simulated?: boolean;
}

export interface Stage1Result extends CallCommon {
  model: string;
  response: string;
}

export interface Stage2Result extends CallCommon {
  model: string;
  ranking: string;
  parsed_ranking: string[];
  /** `ok`, `partial`, `no_header` (recovered from the text) or `failed`. */
  parse_status: string | null;
  parse_issues: string[];
  parse_source?: string | null;
  presentation_order: string[];
  own_label: string | null;
}

export interface Stage3Result extends CallCommon {
  model: string | null;
  response: string;
  degraded: boolean;
  degraded_reason: string | null;
  /** For a degraded result: the member whose answer stands in. */
  top_ranked_model?: string | null;
}

export interface AggregateRanking {
  model: string;
  average_rank: number | null;
  rankings_count: number;
}

export interface AggregateEntry extends AggregateRanking {
  label: string;
  first_place_votes: number;
  self_rank_average: number | null;
}

export interface Agreement {
  kendall_w: number | null;
  mean_pairwise_tau: number | null;
  reviewers: number;
  self_preference: number | null;
  self_votes_excluded?: boolean;
}

/** Filled at stage 2; an empty object before it. */
export interface RunMetadata {
  label_to_model?: Record<string, string>;
  aggregate_rankings?: AggregateRanking[];
  aggregate?: AggregateEntry[];
  agreement?: Agreement | null;
  self_votes_excluded?: boolean;
  ranking_skipped?: boolean;
  ranking_skipped_reason?: string | null;
  seed?: number | null;
  preset?: string | null;
  members?: string[];
  chairman?: string | null;
}

export interface ModelFailure {
  stage: number;
  model: string;
  kind: string;
  message: string;
  status?: number | null;
}

export interface RunError {
  code: string;
  message: string;
  failures?: ModelFailure[];
}

export type RunStatus = 'running' | 'complete' | 'failed' | 'cancelled' | 'interrupted';

export interface UserMessage {
  role: 'user';
  id: string;
  content: string;
  created_at: string;
}

export interface AssistantMessage {
  role: 'assistant';
  run_id: string;
  status: RunStatus;
  stage1: Stage1Result[];
  stage2: Stage2Result[];
  stage3: Stage3Result | null;
  metadata: RunMetadata | null;
  errors: ModelFailure[];
  /** The server sends `{code, message}`; docs/API.md's earlier text form is accepted too. */
  error: RunError | string | null;
  created_at: string;
  finished_at: string | null;
  simulated: boolean;
  stages_done?: number;
  attempts?: number;
  council?: { preset?: string | null; members?: string[]; chairman?: string | null } | null;
  usage?: Usage | null;
}

export type Message = UserMessage | AssistantMessage;
