import type { RunMetadata } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';
import { formatNumber } from '../../lib/format';
import {
  describeAgreement,
  leaderboard,
  noClearWinner,
  selfPreferenceLines,
  strengthMarks,
  voteUses,
  type StrengthMark,
} from '../../lib/ranking';

const COUNTED: Record<string, string> = { full: 'counted in full', partial: 'counted in part', none: 'not counted' };

/** A strength and its 95 % interval on the axis every row shares; the dashed line is the average answer. */
function StrengthChart({ mark, label }: { mark: StrengthMark; label: string }) {
  return (
    <svg className="strength-chart" role="img" aria-label={label} width="100%" height="16">
      <line className="strength-chart__zero" x1={`${mark.zero}%`} x2={`${mark.zero}%`} y1="1" y2="15" />
      <line className="strength-chart__interval" x1={`${mark.low}%`} x2={`${mark.high}%`} y1="8" y2="8" />
      <line className="strength-chart__cap" x1={`${mark.low}%`} x2={`${mark.low}%`} y1="4" y2="12" />
      <line className="strength-chart__cap" x1={`${mark.high}%`} x2={`${mark.high}%`} y1="4" y2="12" />
      <circle className="strength-chart__point" cx={`${mark.point}%`} cy="8" r="4" />
    </svg>
  );
}

/** The aggregate of every counted review: strength with its interval (or, in older runs, average rank), votes, agreement. */
export function Leaderboard({ metadata }: { metadata: RunMetadata }) {
  const rows = leaderboard(metadata);
  if (rows.length === 0) return null;
  const agreement = metadata.agreement;
  const marks = strengthMarks(rows);
  const showStrength = marks.size > 0;
  const unclear = noClearWinner(metadata);
  const showFirst = rows.some((r) => r.firstPlaceVotes !== null);
  const showSelf = rows.some((r) => r.selfRankAverage !== null);
  const votes = voteUses(metadata);
  const selfLines = selfPreferenceLines(agreement);
  return (
    <div className="leaderboard">
      <h4 className="leaderboard__title">Aggregate leaderboard</h4>
      {unclear && (
        <p className="leaderboard__verdict" role="status">
          No clear winner: the top answers’ intervals overlap, so the reviews do not tell them apart.
        </p>
      )}
      <div className="table-scroll">
        <table className="leaderboard__table">
          <caption className="visually-hidden">{showStrength ? 'Models by strength, best first' : 'Models by average rank, best first'}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Model</th>
              {showStrength && (
                <th scope="col" className="leaderboard__strength-head">
                  Strength (95 % interval)
                </th>
              )}
              <th scope="col" className="num">Avg rank</th>
              <th scope="col" className="num">Votes</th>
              {showFirst && <th scope="col" className="num">1st places</th>}
              {showSelf && <th scope="col" className="num">Ranked itself</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const mark = marks.get(r.model);
              return (
                <tr key={r.model} className={r.place === 1 && !unclear ? 'leaderboard__winner' : undefined}>
                  <td>{r.place}</td>
                  <td>
                    <strong>{shortModelName(r.model)}</strong>
                    {r.label && <span className="muted leaderboard__label"> {r.label}</span>}
                  </td>
                  {showStrength && (
                    <td className="leaderboard__strength">
                      {mark ? (
                        <StrengthChart
                          mark={mark}
                          label={`strength ${formatNumber(r.strength)}, 95 % interval ${formatNumber(r.ciLow)} to ${formatNumber(r.ciHigh)}`}
                        />
                      ) : (
                        <span className="muted">not ranked</span>
                      )}
                    </td>
                  )}
                  <td className="num">{formatNumber(r.averageRank)}</td>
                  <td className="num">{r.votes}</td>
                  {showFirst && <td className="num">{r.firstPlaceVotes ?? '–'}</td>}
                  {showSelf && <td className="num">{r.selfRankAverage === null ? '–' : formatNumber(r.selfRankAverage)}</td>}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <ul className="leaderboard__legend muted">
        {showStrength && (
          <li>
            Strength: how often reviewers preferred an answer over each other answer (Bradley–Terry); the bar is its 95 % interval, the dashed line an
            average answer.
          </li>
        )}
        {showSelf && <li>Ranked itself: the average place a model gave its own answer when it reviewed (1 is best).</li>}
      </ul>
      <dl className="leaderboard__facts">
        <div>
          <dt>Agreement</dt>
          <dd>
            {describeAgreement(agreement)}
            {agreement?.kendall_w != null && <> (Kendall’s W {formatNumber(agreement.kendall_w)})</>}
            {agreement?.mean_pairwise_tau != null && <>, mean pairwise τ {formatNumber(agreement.mean_pairwise_tau)}</>}
            {agreement?.reviewers ? <>, {agreement.reviewers} reviewers</> : null}
          </dd>
        </div>
        {agreement?.self_preference != null && (
          <div>
            <dt>Self-preference</dt>
            <dd>
              {formatNumber(agreement.self_preference)}
              <span className="muted leaderboard__explain">
                {' '}
                — how much better reviewers placed their own answer than the other reviewers placed it (0: no favouritism).
              </span>
            </dd>
          </div>
        )}
        <div>
          <dt>Self-votes</dt>
          <dd>{metadata.self_votes_excluded ? 'excluded: no reviewer’s rank of its own answer counts' : 'included in the averages'}</dd>
        </div>
      </dl>
      {selfLines.length > 0 && (
        <ul className="leaderboard__self">
          {selfLines.map((line) => (
            <li key={line.reviewer}>
              <strong>{shortModelName(line.reviewer)}</strong> {line.text}.
            </li>
          ))}
        </ul>
      )}
      {votes.length > 0 && (
        <div className="leaderboard__votes">
          <h5 className="leaderboard__subtitle">How each review counted</h5>
          <ul>
            {votes.map((v) => (
              <li key={v.reviewer} className={`vote vote--${v.counted}`}>
                <strong>{shortModelName(v.reviewer)}</strong>: {v.note || COUNTED[v.counted] || v.counted}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
