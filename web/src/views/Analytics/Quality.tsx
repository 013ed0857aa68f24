import type { ModelsReport } from '../../api/analytics';
import { Panel } from '../Common/Page';
import { Figure, IntervalChart } from './Charts';
import { domainOf, formatEstimate, formatFigure } from './figures';
import { isSmallSample, sampleText, strengthRows, type FigureRow, type StrengthSource } from './shape';

const METHOD_TEXT: Record<ModelsReport['interval_method'], string> = {
  bootstrap_runs: 'a bootstrap over whole runs',
  wald: 'a normal approximation from the fit',
};

const signed = (v: number) => formatFigure(v, 'signed');

function totalN(rows: FigureRow[]): number {
  // Each comparison is counted once for each of the two answers it compares.
  return Math.round(rows.reduce((t, r) => t + r.n, 0) / 2);
}

function chairRatingsText(report: ModelsReport): string {
  const n = report.chairmen.reduce((t, c) => t + c.rated_up.n, 0);
  return sampleText(n, isSmallSample(n), 'ratings');
}

function StrengthFigure({ report, source, title, note }: { report: ModelsReport; source: StrengthSource; title: string; note: string }) {
  const rows = strengthRows(report, source);
  const n = totalN(rows);
  return (
    <Figure title={title} sample={`${sampleText(n, isSmallSample(n), 'comparisons')} · ${report.runs.toLocaleString('en')} run(s)`} note={note}>
      {n === 0 ? (
        <p className="muted analytics-none">No comparisons yet{source === 'human' ? ': nobody has voted on these runs.' : '.'}</p>
      ) : (
        <IntervalChart rows={rows} format={signed} domain={domainOf(rows, 'signed')} unit="comparisons" reference={0} />
      )}
    </Figure>
  );
}

/** Per-model strength: Bradley–Terry from peer reviews and, separately, from people's votes. */
export function Quality({ report }: { report: ModelsReport }) {
  const effect = report.length_effect;
  return (
    <Panel title="Answer quality per model">
      <p className="panel__lead muted">
        Bradley–Terry log-strength (0 = the average answerer; +0.69 wins two comparisons in three against it), with 95 % intervals from{' '}
        {METHOD_TEXT[report.interval_method]}.
      </p>
      <div className="analytics-grid">
        <StrengthFigure report={report} source="peer" title="Strength from peer reviews" note="How the council's reviewers ranked each model's answers." />
        <StrengthFigure report={report} source="human" title="Strength from people's votes" note="The answer people preferred against each other answer of the run." />
        <StrengthFigure
          report={report}
          source="length_controlled"
          title="Peer strength, length controlled"
          note={`The same fit with answer length as a covariate; length effect per doubling: ${formatEstimate(effect, 'signed')} (${sampleText(effect.n, effect.small_sample)}).`}
        />
        {report.chairmen.length > 0 && (
          <Figure title="Final answers rated up, per chairman" sample={chairRatingsText(report)}>
            <div className="table-scroll">
              <table className="data-table" aria-label="Final answers rated up, per chairman">
                <thead>
                  <tr>
                    <th scope="col">Chairman</th>
                    <th scope="col" className="num">
                      Rated up
                    </th>
                    <th scope="col" className="num">
                      n
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {report.chairmen.map((c) => (
                    <tr key={c.model}>
                      <td className="data-table__strong">{c.model}</td>
                      <td className="num nowrap">{formatEstimate(c.rated_up, 'share')}</td>
                      <td className="num nowrap">
                        {c.rated_up.n}
                        {c.rated_up.small_sample && <span className="analytics-small"> · small sample</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Figure>
        )}
      </div>
    </Panel>
  );
}
