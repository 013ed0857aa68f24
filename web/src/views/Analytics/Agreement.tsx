import type { AgreementPeriod, AgreementReport, Estimate, ReviewerAgreement } from '../../api/analytics';
import { Panel } from '../Common/Page';
import { Figure, IntervalChart, TrendChart } from './Charts';
import { formatEstimate, formatFigure } from './figures';
import { agreementTrend, presetAgreementRows, sampleText, weightingText } from './shape';

const share = (v: number) => formatFigure(v, 'share');

/** A reviewer's figures; `applied_weight` is sent by servers that apply weights to new runs. */
type ReviewerWeights = ReviewerAgreement & { applied_weight?: number | null };

function Stat({ label, estimate }: { label: string; estimate: Estimate }) {
  return (
    <div className="analytics-stat">
      <span className="analytics-stat__label">{label}</span>
      <span className="analytics-stat__value">{formatEstimate(estimate, 'share')}</span>
      <span className={estimate.small_sample ? 'analytics-small' : 'muted'}>{sampleText(estimate.n, estimate.small_sample, 'votes')}</span>
    </div>
  );
}

function Weights({ report }: { report: AgreementReport }) {
  const reviewers = report.reviewers as ReviewerWeights[];
  const applied = reviewers.some((r) => r.applied_weight !== undefined && r.applied_weight !== null);
  return (
    <>
      <h4 className="panel__subtitle">Reviewers against people, and their weights</h4>
      <p className={`analytics-weighting${report.weighting_enabled ? ' analytics-weighting--on' : ''}`} role="note">
        <span className={`pill ${report.weighting_enabled ? 'pill--active' : 'pill--soft'}`}>{report.weighting_enabled ? 'Weighting on' : 'Weighting off'}</span>{' '}
        {weightingText(report.weighting_enabled)}
      </p>
      {reviewers.length === 0 ? (
        <p className="muted analytics-none">No reviewer has ranked a run that someone voted on.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table" aria-label="Reviewer weights">
            <thead>
              <tr>
                <th scope="col">Reviewer</th>
                <th scope="col" className="num">
                  Its top answer was the person’s pick
                </th>
                <th scope="col" className="num">
                  n
                </th>
                <th scope="col" className="num">
                  Weight
                </th>
                {applied && (
                  <th scope="col" className="num">
                    Applied now
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {reviewers.map((r) => (
                <tr key={r.model}>
                  <td className="data-table__strong">{r.model}</td>
                  <td className="num nowrap">{formatEstimate(r.agrees_with_people, 'share')}</td>
                  <td className="num nowrap">
                    {r.agrees_with_people.n}
                    {r.agrees_with_people.small_sample && <span className="analytics-small"> · small sample</span>}
                  </td>
                  <td className="num">{formatFigure(r.weight, 'weight')}</td>
                  {applied && <td className="num">{formatFigure(r.applied_weight, 'weight')}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** People against the council: overall, over time, per preset; and the reviewer weights. */
export function Agreement({
  report,
  period,
  onPeriod,
}: {
  report: AgreementReport;
  period: AgreementPeriod;
  onPeriod: (p: AgreementPeriod) => void;
}) {
  const trend = agreementTrend(report);
  const presets = presetAgreementRows(report);
  return (
    <Panel title="People and the council">
      <p className="panel__lead muted">From people’s votes on finished runs: did the answer they preferred match the council’s top answer? Wilson 95 % intervals.</p>
      {report.votes === 0 ? (
        <p className="muted analytics-none">Nobody has voted on these runs yet. Pick the answer you prefer under a finished run to add a vote.</p>
      ) : (
        <>
          <div className="analytics-stats">
            <Stat label="Council’s top answer was the pick" estimate={report.council_top_picked} />
            <Stat label="Final answers rated up" estimate={report.rated_up} />
            <Stat label="“The council got this wrong”" estimate={report.council_wrong} />
          </div>
          <div className="analytics-grid">
            <Figure
              title="Agreement over time"
              sample={sampleText(report.votes, report.council_top_picked.small_sample, 'votes')}
              note={
                <>
                  <label className="analytics-period">
                    Per
                    <select className="select--compact" value={period} onChange={(e) => onPeriod(e.target.value as AgreementPeriod)}>
                      <option value="day">day</option>
                      <option value="week">week</option>
                      <option value="month">month</option>
                    </select>
                    (UTC).
                  </label>{' '}
                  Hollow points rest on a small sample.
                </>
              }
            >
              <TrendChart rows={trend} format={share} unit="votes" />
            </Figure>
            <Figure title="Agreement per preset" sample={sampleText(report.votes, report.council_top_picked.small_sample, 'votes')}>
              <IntervalChart rows={presets} format={share} domain={[0, 1]} unit="votes" />
            </Figure>
          </div>
        </>
      )}
      <Weights report={report} />
    </Panel>
  );
}
