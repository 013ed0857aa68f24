import { useEffect, useState } from 'react';
import type { ChairmanView } from '../../state/run';
import { shortModelName } from '../../lib/deanonymise';
import { CopyButton } from '../Common/CopyButton';
import { ErrorCard, FallbackBadge, ModelMeta } from '../Common/ModelMeta';
import { Markdown } from '../Markdown/Markdown';
import { ContinueButton } from './ContinueButton';
import { StructuredPanel } from './StructuredPanel';

function heading(view: ChairmanView): { title: string; by: string | null } {
  if (view.degraded) return { title: 'Degraded result', by: null };
  if (view.kind === 'selected') {
    return { title: 'Top-ranked answer', by: view.selectedModel ? `from ${shortModelName(view.selectedModel)}, chosen by peer review` : null };
  }
  if (view.kind === 'unanimous') return { title: 'Unanimous answer', by: 'every member gave it' };
  return { title: 'Final answer', by: view.model ? `by Chairman ${shortModelName(view.model)}` : null };
}

/**
 * Stage 3: the Chairman's final answer with its structured part (consensus, contradictions,
 * gaps, confidence); in mode select the top-ranked answer with the review's summary; a clearly
 * marked stand-in when it degraded. Mode answers has no stage 3 (the answers are the result).
 */
export function Stage3({ view, live, runId = null }: { view: ChairmanView | null; live: boolean; runId?: string | null }) {
  const [continued, setContinued] = useState<{ text: string; finishReason: string | null } | null>(null);
  useEffect(() => setContinued(null), [runId, view?.text]);
  if (!view || view.kind === 'answers') return null;
  const degraded = view.degraded;
  const text = continued?.text ?? view.text;
  const finishReason = continued ? continued.finishReason : view.finishReason;
  const { title, by } = heading(view);
  return (
    <section
      className={`stage stage--3 final-answer${degraded ? ' final-answer--degraded' : ''}`}
      aria-label={degraded ? 'Degraded result' : title}
      data-kind={view.kind ?? undefined}
    >
      <div className="final-answer__head">
        <h3 className="stage__title">
          <span className="stage__number">3</span> {title}
          {by && <span className="final-answer__by"> {by}</span>}
        </h3>
        {text && view.phase !== 'streaming' && <CopyButton text={text} label="Copy final answer" />}
      </div>
      {degraded && (
        <div className="notice notice--warn" role="note">
          <strong>Not a Chairman’s synthesis.</strong>{' '}
          {view.topRankedModel
            ? `Every Chairman failed, so this is the top-ranked member answer (${shortModelName(view.topRankedModel)}).`
            : 'Every Chairman failed.'}
          {view.degradedReason ? ` Reason: ${view.degradedReason}` : ''}
        </div>
      )}
      {view.reviewSummary && (
        <p className="muted final-answer__summary" role="note">
          {view.reviewSummary}
        </p>
      )}
      {view.earlyStop?.reason && (
        <p className="muted final-answer__summary" role="note">
          Stopped early: {view.earlyStop.reason}.
        </p>
      )}
      <ModelMeta view={view} />
      <FallbackBadge view={view} />
      {view.phase === 'failed' && view.error && <ErrorCard failure={view.error} title="The Chairman failed" />}
      {text ? (
        <Markdown text={text} />
      ) : view.phase !== 'failed' ? (
        <p className="muted">{live ? 'The Chairman is writing…' : 'No final answer.'}</p>
      ) : null}
      {view.phase === 'streaming' && <span className="cursor" aria-hidden="true" />}
      {finishReason === 'length' && !live && view.model && (view.kind === 'synthesis' || view.kind === null) && (
        <ContinueButton
          runId={runId}
          stage={3}
          model={view.model}
          onContinued={(t, f) => setContinued({ text: t, finishReason: f })}
        />
      )}
      {view.phase === 'done' && (view.kind === 'synthesis' || view.kind === null) && !degraded && (
        <StructuredPanel structured={view.structured} note={view.structuredNote} />
      )}
    </section>
  );
}
