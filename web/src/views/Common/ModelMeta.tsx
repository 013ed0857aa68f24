import type { ModelView } from '../../state/run';
import { formatSeconds, formatTokens, FAILURE_KIND_TEXT } from '../../lib/format';
import { shortModelName } from '../../lib/deanonymise';
import type { ModelFailure } from '../../api/types';

/** Time, tokens and who really answered, on one line. */
export function ModelMeta({ view }: { view: ModelView }) {
  const parts: string[] = [];
  const time = formatSeconds(view.latencyMs);
  if (time) parts.push(time);
  const ttft = formatSeconds(view.ttftMs);
  if (ttft) parts.push(`first token ${ttft}`);
  const tokens = formatTokens(view.usage);
  // Of the output, the tokens a reasoning model spent thinking (priced as output): where the
  // upstream counts them apart.
  const reasoning = view.usage?.reasoning_tokens;
  if (tokens) parts.push(reasoning ? `${tokens} (${reasoning.toLocaleString('en')} reasoning)` : tokens);
  const answeredBy = view.answeredBy && view.answeredBy !== view.model ? view.answeredBy : null;
  return (
    <div className="model-meta">
      {parts.length > 0 && <span className="model-meta__numbers">{parts.join(' · ')}</span>}
      {answeredBy && !view.fallbackFrom && <span className="model-meta__answered">answered by {answeredBy}</span>}
      {view.simulated && <span className="badge badge--sim">simulated</span>}
    </div>
  );
}

/** The badge shown when a fallback model answered for a member. */
export function FallbackBadge({ view }: { view: ModelView }) {
  if (!view.fallbackFrom && !(view.answeredBy && view.fallbackReason)) return null;
  const by = view.answeredBy ?? 'a fallback model';
  return (
    <div className="badge badge--fallback" role="note">
      Fallback: answered by <strong>{shortModelName(by)}</strong>
      {view.fallbackReason ? <> — {view.fallbackFrom ? `${shortModelName(view.fallbackFrom)} failed: ` : ''}{view.fallbackReason}</> : null}
    </div>
  );
}

/** A failed model, with the real reason the upstream gave. */
export function ErrorCard({ failure, title }: { failure: ModelFailure; title?: string }) {
  const kind = FAILURE_KIND_TEXT[failure.kind] ?? failure.kind;
  return (
    <div className="error-card" role="alert">
      <div className="error-card__title">
        {title ?? `${shortModelName(failure.model)} failed`}: {kind}
        {failure.status ? <span className="error-card__status"> (HTTP {failure.status})</span> : null}
      </div>
      <div className="error-card__message">{failure.message}</div>
    </div>
  );
}
