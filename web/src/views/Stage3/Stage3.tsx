import type { ChairmanView } from '../../state/run';
import { shortModelName } from '../../lib/deanonymise';
import { CopyButton } from '../Common/CopyButton';
import { ErrorCard, FallbackBadge, ModelMeta } from '../Common/ModelMeta';
import { Markdown } from '../Markdown/Markdown';

/** Stage 3: the Chairman's final answer, or a clearly marked stand-in when it degraded. */
export function Stage3({ view, live }: { view: ChairmanView | null; live: boolean }) {
  if (!view) return null;
  const degraded = view.degraded;
  return (
    <section
      className={`stage stage--3 final-answer${degraded ? ' final-answer--degraded' : ''}`}
      aria-label={degraded ? 'Degraded result' : 'Final answer'}
    >
      <div className="final-answer__head">
        <h3 className="stage__title">
          <span className="stage__number">3</span> {degraded ? 'Degraded result' : 'Final answer'}
          {!degraded && view.model && <span className="final-answer__by"> by Chairman {shortModelName(view.model)}</span>}
        </h3>
        {view.text && view.phase !== 'streaming' && <CopyButton text={view.text} label="Copy final answer" />}
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
      <ModelMeta view={view} />
      <FallbackBadge view={view} />
      {view.phase === 'failed' && view.error && <ErrorCard failure={view.error} title="The Chairman failed" />}
      {view.text ? (
        <Markdown text={view.text} />
      ) : view.phase !== 'failed' ? (
        <p className="muted">{live ? 'The Chairman is writing…' : 'No final answer.'}</p>
      ) : null}
      {view.phase === 'streaming' && <span className="cursor" aria-hidden="true" />}
    </section>
  );
}
