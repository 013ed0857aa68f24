import { useEffect, useState } from 'react';
import { feedbackApi, type PersonalVote, type VoteCast } from '../../api/feedback';
import { shortModelName } from '../../lib/deanonymise';
import { councilComparison } from './compare';
import { moved, rankingComparison, startingOrder } from './ranking';

/**
 * What the person thought of a finished run, in one click: the answer they preferred (by label,
 * models hidden unless they ask), thumbs up or down on the final answer, and "the council got
 * this wrong". Saved at once; changeable; afterwards it says how the council ranked their pick.
 */
export function VotePanel({
  conversationId,
  runId,
  labelToModel,
  hasFinal,
}: {
  conversationId: string;
  runId: string;
  labelToModel: Record<string, string>;
  hasFinal: boolean;
}) {
  const [vote, setVote] = useState<PersonalVote | null>(null);
  const [showModels, setShowModels] = useState(false);
  const [comment, setComment] = useState('');
  // Shown at once, before the server answers; set back from the saved vote if it fails.
  const [wrong, setWrong] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  // "Rank them yourself": the order being edited, or null when the editor is closed.
  const [order, setOrder] = useState<string[] | null>(null);
  const labels = Object.keys(labelToModel).sort();

  useEffect(() => {
    let alive = true;
    feedbackApi.get(conversationId, runId).then(
      (v) => {
        if (!alive) return;
        setVote(v);
        setComment(v?.comment ?? '');
        setWrong(v?.council_wrong ?? false);
      },
      () => undefined, // no vote shown is the safe reading; casting says why it fails
    );
    return () => {
      alive = false;
    };
  }, [conversationId, runId]);

  const cast = (change: Partial<VoteCast>) => {
    const next: VoteCast = {
      preferred_label: vote?.preferred_label ?? null,
      ranking: vote?.ranking ?? null,
      blind: !showModels,
      rating: vote?.rating ?? null,
      comment: comment.trim() || null,
      council_wrong: wrong,
      ...change,
    };
    const settle = (saved: PersonalVote | null) => {
      setVote(saved);
      setWrong(saved?.council_wrong ?? false);
      setError(null);
    };
    const fail = (err: unknown) => {
      setWrong(vote?.council_wrong ?? false);
      setError(err instanceof Error ? err.message : String(err));
    };
    if (!next.preferred_label && !next.rating && !next.council_wrong) {
      setSaving(true);
      feedbackApi.withdraw(conversationId, runId).then(() => settle(null), fail).finally(() => setSaving(false));
      return;
    }
    setSaving(true);
    feedbackApi.cast(conversationId, runId, next).then(settle, fail).finally(() => setSaving(false));
  };

  const comparison = vote ? councilComparison(vote) : null;
  return (
    <section className="vote" aria-label="Your verdict">
      {labels.length > 1 && (
        <div className="vote__row">
          <span className="vote__prompt">Which answer was best?</span>
          <div className="vote__choices" role="group" aria-label="Preferred answer">
            {labels.map((label) => (
              <button
                key={label}
                type="button"
                className="btn btn--small vote__choice"
                aria-pressed={vote?.preferred_label === label}
                disabled={saving}
                onClick={() =>
                  cast({ preferred_label: vote?.preferred_label === label ? null : label, ranking: null })
                }
              >
                {label.replace('Response ', '')}
                {showModels && <span className="muted"> · {shortModelName(labelToModel[label] ?? '')}</span>}
              </button>
            ))}
          </div>
          <label className="vote__toggle muted">
            <input type="checkbox" checked={showModels} onChange={(e) => setShowModels(e.target.checked)} /> Show models
          </label>
          {labels.length > 2 && order === null && (
            <button
              type="button"
              className="btn btn--small btn--ghost"
              disabled={saving}
              onClick={() => setOrder(startingOrder(labels, vote))}
            >
              {vote?.ranking ? 'Change your ranking' : 'Rank them yourself'}
            </button>
          )}
        </div>
      )}
      {order !== null && (
        <div className="vote__ranking">
          <p className="vote__prompt">Your ranking, best first:</p>
          <ol aria-label="Your ranking">
            {order.map((label, i) => (
              <li key={label} className="vote__rank">
                <span className="vote__rank-label">
                  {label}
                  {showModels && <span className="muted"> · {shortModelName(labelToModel[label] ?? '')}</span>}
                </span>
                <button
                  type="button"
                  className="btn btn--small btn--ghost"
                  aria-label={`Move ${label} up`}
                  disabled={i === 0}
                  onClick={() => setOrder(moved(order, i, -1))}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="btn btn--small btn--ghost"
                  aria-label={`Move ${label} down`}
                  disabled={i === order.length - 1}
                  onClick={() => setOrder(moved(order, i, 1))}
                >
                  ↓
                </button>
              </li>
            ))}
          </ol>
          <div className="vote__choices">
            <button
              type="button"
              className="btn btn--small"
              disabled={saving}
              onClick={() => {
                cast({ ranking: order, preferred_label: order[0] ?? null });
                setOrder(null);
              }}
            >
              Save ranking
            </button>
            <button type="button" className="btn btn--small btn--ghost" onClick={() => setOrder(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <div className="vote__row">
        {hasFinal && (
          <div className="vote__choices" role="group" aria-label="Rate the final answer">
            <span className="vote__prompt">The final answer:</span>
            <button
              type="button"
              className="btn btn--small btn--ghost"
              aria-label="Good final answer"
              aria-pressed={vote?.rating === 'up'}
              disabled={saving}
              onClick={() => cast({ rating: vote?.rating === 'up' ? null : 'up' })}
            >
              ▲ Good
            </button>
            <button
              type="button"
              className="btn btn--small btn--ghost"
              aria-label="Poor final answer"
              aria-pressed={vote?.rating === 'down'}
              disabled={saving}
              onClick={() => cast({ rating: vote?.rating === 'down' ? null : 'down' })}
            >
              ▼ Poor
            </button>
          </div>
        )}
        <label className="vote__toggle">
          <input
            type="checkbox"
            checked={wrong}
            onChange={(e) => {
              setWrong(e.target.checked);
              cast({ council_wrong: e.target.checked });
            }}
          />{' '}
          The council got this wrong
        </label>
      </div>
      {vote && (
        <div className="vote__row">
          <input
            className="vote__comment"
            aria-label="Comment on this answer"
            placeholder="A comment (optional)"
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            onBlur={() => comment.trim() !== (vote.comment ?? '') && cast({ comment: comment.trim() || null })}
          />
        </div>
      )}
      {comparison && (
        <p className="vote__comparison" role="status">
          {comparison}
          {vote && rankingComparison(vote) ? ` ${rankingComparison(vote)}` : ''}
        </p>
      )}
      {error && (
        <p className="notice notice--error" role="alert">
          Your vote was not saved: {error}
        </p>
      )}
    </section>
  );
}
