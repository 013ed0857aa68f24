/**
 * The events of the streaming protocol (docs/API.md, "Streaming"). SSE payloads are not part of
 * the OpenAPI schema, so they are typed here, reusing the schema's result types.
 */
import type {
  ModelFailure,
  RunMetadata,
  Stage1Result,
  Stage2Result,
  Stage3Result,
  Usage,
} from './types';

export type StageNumber = 1 | 2 | 3;

export type CouncilEvent =
  | {
      type: 'run_start';
      run_id: string;
      conversation_id: string;
      message_id?: string;
      members: string[];
      chairman: string | null;
      preset: string | null;
      /** How the council deliberates: classic, select, answers, revise, self-moa. */
      mode?: string;
      simulated?: boolean;
      /** A repeated request (same Idempotency-Key) replays a stored run. */
      replayed?: boolean;
    }
  | { type: 'stage1_start' }
  | { type: 'stage1_complete'; data: Stage1Result[]; errors?: ModelFailure[] }
  /** Mode revise: each member revises its answer after reading the others' (round 1, 2, …). */
  | { type: 'revision_start'; round: number }
  | { type: 'revision_complete'; round: number; data: Stage1Result[]; errors?: ModelFailure[]; changed?: number }
  | { type: 'stage2_start' }
  | { type: 'stage2_complete'; data: Stage2Result[]; metadata: RunMetadata; errors?: ModelFailure[] }
  | { type: 'stage3_start' }
  | { type: 'stage3_complete'; data: Stage3Result; errors?: ModelFailure[] }
  | { type: 'title_complete'; data: { title: string } }
  | { type: 'complete'; run_id?: string; status?: string; usage?: Usage; metadata?: RunMetadata }
  | { type: 'error'; message: string; code?: string; failures?: ModelFailure[]; run_id?: string }
  | { type: 'model_delta'; stage: StageNumber; model: string; text: string; round?: number }
  | {
      type: 'model_complete';
      stage: StageNumber;
      model: string;
      answered_by?: string | null;
      usage?: Usage | null;
      latency_ms?: number | null;
      ttft_ms?: number | null;
      fallback_from?: string | null;
      fallback_reason?: string | null;
    }
  | ({ type: 'model_error' } & ModelFailure)
  | { type: 'model_fallback'; stage: StageNumber; model: string; fallback: string; reason: string }
  | { type: 'model_reset'; stage: StageNumber; model: string };

export type CouncilEventType = CouncilEvent['type'];

const KNOWN: ReadonlySet<string> = new Set<CouncilEventType>([
  'run_start',
  'stage1_start',
  'stage1_complete',
  'revision_start',
  'revision_complete',
  'stage2_start',
  'stage2_complete',
  'stage3_start',
  'stage3_complete',
  'title_complete',
  'complete',
  'error',
  'model_delta',
  'model_complete',
  'model_error',
  'model_fallback',
  'model_reset',
]);

/** Narrows a parsed JSON value to a known event; unknown types are ignored (forward compatible). */
export function asCouncilEvent(value: unknown): CouncilEvent | null {
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN.has(type)) return null;
  return value as CouncilEvent;
}

/** The events after which the server sends nothing more. */
export function isTerminal(event: CouncilEvent): boolean {
  return event.type === 'complete' || event.type === 'error';
}
