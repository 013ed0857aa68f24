import type { ReviewersReport } from '../../api/analytics';
import { Panel } from '../Common/Page';
import { Figure, IntervalChart } from './Charts';
import { formatEstimate, formatFigure, type FigureKind } from './figures';
import { clampRows, isSmallSample, reviewerRows, sampleText, type ReviewerMetric } from './shape';

interface BiasPlot {
  metric: ReviewerMetric;
  title: string;
  note: string;
  kind: FigureKind;
  unit: string;
}

const PLOTS: BiasPlot[] = [
  {
    metric: 'position_bias',
    title: 'Position bias',
    note: 'Correlation of where an answer was shown with its rank; > 0: answers shown earlier are ranked better.',
    kind: 'signed',
    unit: 'reviews',
  },
  {
    metric: 'self_preference',
    title: 'Self-preference',
    note: 'Its win rate for its own answer minus other reviewers’ for the same answer; > 0: it favours itself.',
    kind: 'signed',
    unit: 'comparisons',
  },
  {
    metric: 'length_bias',
    title: 'Length bias',
    note: 'Correlation of answer length with its ranking (its own answer left out); > 0: favours longer answers.',
    kind: 'signed',
    unit: 'reviews',
  },
  {
    metric: 'agreement',
    title: 'Agreement with the other reviewers',
    note: 'Correlation with the other reviewers’ mean ranks; 1: the same order.',
    kind: 'signed',
    unit: 'reviews',
  },
  { metric: 'failure_rate', title: 'Rankings that could not be read', note: 'Share of reviews with no usable ranking.', kind: 'share', unit: 'reviews' },
  { metric: 'repair_rate', title: 'Reviews that needed a repair turn', note: 'Share of reviews whose ranking was asked for again.', kind: 'share', unit: 'reviews' },
];

function BiasFigure({ report, plot }: { report: ReviewersReport; plot: BiasPlot }) {
  // Every reviewer figure is a correlation, a difference of shares or a share: within [−1, 1].
  const [lo, hi] = plot.kind === 'share' ? [0, 1] : [-1, 1];
  const rows = clampRows(reviewerRows(report, plot.metric), lo, hi);
  const n = rows.reduce((t, r) => t + r.n, 0);
  const format = (v: number) => formatFigure(v, plot.kind);
  return (
    <Figure title={plot.title} note={plot.note} sample={sampleText(n, isSmallSample(n), plot.unit)}>
      <IntervalChart rows={rows} format={format} domain={[lo, hi]} unit={plot.unit} reference={plot.kind === 'share' ? undefined : 0} />
    </Figure>
  );
}

/** How each model reviews: its biases, its agreement with the others, how often it could be read. */
export function Reviewers({ report }: { report: ReviewersReport }) {
  if (report.reviewers.length === 0) {
    return (
      <Panel title="Reviewers">
        <p className="muted analytics-none">No reviews in these runs (the council ran without a review stage).</p>
      </Panel>
    );
  }
  return (
    <Panel title="Reviewers">
      <p className="panel__lead muted">Each model as a reviewer of the others’ answers, with 95 % intervals. The dashed line is “no bias”.</p>
      <div className="analytics-grid">
        {PLOTS.map((plot) => (
          <BiasFigure key={plot.metric} report={report} plot={plot} />
        ))}
      </div>
      <h4 className="panel__subtitle">Every reviewer figure</h4>
      <div className="table-scroll">
        <table className="data-table" aria-label="Reviewer figures">
          <thead>
            <tr>
              <th scope="col">Reviewer</th>
              <th scope="col" className="num">
                Reviews (counted)
              </th>
              <th scope="col" className="num">
                First-shown ranked top
              </th>
              <th scope="col" className="num">
                Length bias vs council
              </th>
              <th scope="col" className="num">
                Read: ok / partial / failed
              </th>
              <th scope="col" className="num">
                Repairs that worked
              </th>
            </tr>
          </thead>
          <tbody>
            {report.reviewers.map((r) => (
              <tr key={r.model}>
                <td className="data-table__strong">{r.model}</td>
                <td className="num">
                  {r.reviews} ({r.counted}){isSmallSample(r.counted) && <span className="analytics-small"> · small sample</span>}
                </td>
                <td className="num nowrap">
                  {formatEstimate(r.first_position_top, 'share')}
                  {r.first_position_expected !== null && <span className="muted"> (chance {formatFigure(r.first_position_expected, 'share')})</span>}
                </td>
                <td className="num nowrap">{formatEstimate(r.length_bias_vs_council, 'signed')}</td>
                <td className="num nowrap">
                  {r.parse.ok} / {r.parse.partial} / {r.parse.failed}
                </td>
                <td className="num nowrap">
                  {formatEstimate(r.parse.repair_success, 'share')} <span className="muted">n = {r.parse.repair_success.n}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
