import type { RunMetadata } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';
import { formatNumber } from '../../lib/format';
import { describeAgreement, leaderboard } from '../../lib/ranking';

/** The aggregate of every reviewer's ranking: average rank (lower is better), votes, agreement. */
export function Leaderboard({ metadata }: { metadata: RunMetadata }) {
  const rows = leaderboard(metadata);
  if (rows.length === 0) return null;
  const agreement = metadata.agreement;
  const showFirst = rows.some((r) => r.firstPlaceVotes !== null);
  const showSelf = rows.some((r) => r.selfRankAverage !== null);
  return (
    <div className="leaderboard">
      <h4 className="leaderboard__title">Aggregate leaderboard</h4>
      <div className="table-scroll">
        <table className="leaderboard__table">
          <caption className="visually-hidden">Models by average rank, best first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Model</th>
              <th scope="col" className="num">Avg rank</th>
              <th scope="col" className="num">Votes</th>
              {showFirst && <th scope="col" className="num">1st places</th>}
              {showSelf && (
                <th scope="col" className="num" title="The average rank this model gave its own answer when reviewing">
                  Ranked itself
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.model} className={r.place === 1 ? 'leaderboard__winner' : undefined}>
                <td>{r.place}</td>
                <td>
                  <strong>{shortModelName(r.model)}</strong>
                  {r.label && <span className="muted leaderboard__label"> {r.label}</span>}
                </td>
                <td className="num">{formatNumber(r.averageRank)}</td>
                <td className="num">{r.votes}</td>
                {showFirst && <td className="num">{r.firstPlaceVotes ?? '–'}</td>}
                {showSelf && <td className="num">{r.selfRankAverage === null ? '–' : formatNumber(r.selfRankAverage)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
            <dd>{formatNumber(agreement.self_preference)}</dd>
          </div>
        )}
        <div>
          <dt>Self-votes</dt>
          <dd>{metadata.self_votes_excluded ? 'excluded: no reviewer’s rank of its own answer counts' : 'included in the averages'}</dd>
        </div>
      </dl>
    </div>
  );
}
