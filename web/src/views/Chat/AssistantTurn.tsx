import { useMemo } from 'react';
import { resolverFor } from '../../lib/citations';
import type { RunView } from '../../state/run';
import { shortModelName } from '../../lib/deanonymise';
import { Stage1 } from '../Stage1/Stage1';
import { Stage2 } from '../Stage2/Stage2';
import { Stage3 } from '../Stage3/Stage3';
import { CitationContext, useReader, type CitationLinks } from '../Documents/context';
import { RunContextNote, useRunDocuments } from '../Documents/RunContextNote';
import { RunProgress } from './RunProgress';
import { VotePanel } from '../Votes/VotePanel';

const STATUS_TEXT: Record<string, string> = {
  failed: 'The run failed',
  cancelled: 'Stopped',
  interrupted: 'Interrupted: the server stopped before this run finished. Partial results are kept.',
};

/** One council answer: progress, the three stages, and what went wrong if anything did. */
export function AssistantTurn({
  run,
  live,
  stopping = false,
  canRetry,
  onRetry,
  conversationId,
}: {
  run: RunView;
  live: boolean;
  stopping?: boolean;
  canRetry: boolean;
  onRetry: () => void;
  /** Given for stored turns: a finished run can be voted on. */
  conversationId?: string;
}) {
  const running = run.status === 'running';
  const failedStage1 = run.stage1.length > 0 && run.stage1.every((r) => r.phase === 'failed');
  const reader = useReader();
  const record = useRunDocuments(reader?.conversationId ?? null, live ? null : run.runId, !running);
  const citations = useMemo<CitationLinks | null>(
    () => (record && reader ? { resolve: resolverFor(record.citations.flatMap((c) => c.citations)), open: reader.open } : null),
    [record, reader],
  );
  return (
    <CitationContext.Provider value={citations}>
    <article
      className={`turn turn--assistant turn--${run.status}`}
      aria-label="Council answer"
      aria-busy={running}
      data-run-id={run.runId ?? undefined}
      data-status={run.status}
      data-live={live ? 'true' : undefined}
    >
      <header className="turn__head">
        <span className="turn__who">Council</span>
        {run.members.length > 0 && (
          <span className="turn__council muted">
            {run.members.map(shortModelName).join(', ')}
            {run.chairman ? ` · Chairman ${shortModelName(run.chairman)}` : ''}
          </span>
        )}
        {run.mode !== 'classic' && (
          <span className="badge badge--mode" data-testid="run-mode" title="How this council deliberated">
            {run.mode}
            {run.round > 0 ? ` · round ${run.round}` : ''}
          </span>
        )}
        {run.simulated && (
          <span className="badge badge--sim" title="Answers come from the simulated upstream, not real models">
            Simulated output
          </span>
        )}
      </header>
      {running && <RunProgress run={run} stopping={stopping} />}
      {run.connectionLost && (
        <div className="notice notice--warn" role="alert">
          {run.connectionLost}
        </div>
      )}
      <Stage1 rows={run.stage1} live={live} rounds={run.rounds} round={run.round} mode={run.mode} runId={run.runId} />
      <Stage2 rows={run.stage2} metadata={run.metadata} live={live} started={run.phase === 'stage2' || run.phase === 'stage3'} />
      <Stage3 view={run.stage3} live={live} runId={run.runId} />
      {record && <RunContextNote record={record} documents={reader?.documents ?? []} />}
      {conversationId && run.runId && run.status === 'complete' && !live && (
        <VotePanel
          conversationId={conversationId}
          runId={run.runId}
          labelToModel={run.metadata?.label_to_model ?? {}}
          hasFinal={Boolean(run.stage3)}
        />
      )}
      {!running && run.status !== 'complete' && (
        <div className={`run-end run-end--${run.status}`} role="status">
          <div>
            <strong>{STATUS_TEXT[run.status] ?? run.status}</strong>
            {run.error?.message && run.status !== 'interrupted' ? <>: {run.error.message}</> : null}
            {failedStage1 && run.status === 'failed' && <> Every member failed; see each tab for the reason.</>}
          </div>
          {canRetry && run.runId && (
            <button type="button" className="btn btn--primary" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
    </article>
    </CitationContext.Provider>
  );
}
