import type { StructuredSynthesis } from '../../state/run';
import { shortModelName } from '../../lib/deanonymise';

const LEVEL_TEXT: Record<string, string> = { high: 'High', medium: 'Medium', low: 'Low' };

/**
 * The synthesis's structured part, compact under the answer: where the answers agree, where they
 * contradict each other (and which said what), what none covered, and the chairman's confidence
 * with its reason. Without it, a one-line note says the answer is shown as written.
 */
export function StructuredPanel({ structured, note }: { structured: StructuredSynthesis | null; note: string | null }) {
  if (!structured) {
    return note ? (
      <p className="synthesis-panel synthesis-panel--missing muted" role="note">
        {note}
      </p>
    ) : null;
  }
  const level = structured.confidence?.level ?? null;
  const consensus = structured.consensus ?? [];
  const contradictions = structured.contradictions ?? [];
  const gaps = structured.gaps ?? [];
  return (
    <section className="synthesis-panel" aria-label="Where the council agrees and disagrees">
      <div className="synthesis-panel__confidence">
        <span className={`confidence confidence--${level ?? 'unknown'}`}>Confidence: {level ? LEVEL_TEXT[level] : 'not stated'}</span>
        {structured.confidence?.justification && <span className="muted"> — {structured.confidence.justification}</span>}
      </div>
      <div className="synthesis-panel__grid">
        {consensus.length > 0 && (
          <div className="synthesis-panel__part">
            <h4>Consensus</h4>
            <ul>
              {consensus.map((c, i) => (
                <li key={i}>{c}</li>
              ))}
            </ul>
          </div>
        )}
        {contradictions.length > 0 && (
          <div className="synthesis-panel__part">
            <h4>Contradictions</h4>
            <ul>
              {contradictions.map((c, i) => (
                <li key={i}>
                  {c.point}
                  {(c.positions ?? []).length > 0 && (
                    <ul className="synthesis-panel__positions">
                      {(c.positions ?? []).map((p, j) => (
                        <li key={j}>
                          <strong>{(p.models?.length ? p.models.map(shortModelName) : p.responses).join(', ')}</strong>
                          {p.says ? `: ${p.says}` : ''}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
        {gaps.length > 0 && (
          <div className="synthesis-panel__part">
            <h4>Not covered</h4>
            <ul>
              {gaps.map((g, i) => (
                <li key={i}>{g}</li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </section>
  );
}
