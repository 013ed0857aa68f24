import { useEffect, useState } from 'react';
import { ErrorNote, errorText } from '../Common/Page';
import { evaluationsApi, formatInterval, formatSigned, type EvaluationReport } from './api';

/** An evaluation's report: the baseline against every strategy, then cost and latency. */
export function Report({ id }: { id: string }) {
  const [report, setReport] = useState<EvaluationReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    evaluationsApi.report(id).then(setReport, (err) => setError(errorText(err)));
  }, [id]);
  if (error) return <ErrorNote error={error} />;
  if (!report) return <p className="muted">Loading the report…</p>;
  const consistency = report.judging.position_consistency;
  const kappa = report.judging.agreement.fleiss_kappa;
  return (
    <div className="eval-report">
      {report.simulated && (
        <p className="notice" role="note">
          Simulated: every answer and verdict came from the built-in simulated upstream.
        </p>
      )}
      <h4 className="panel__subtitle">The {report.baseline} against each strategy</h4>
      <div className="table-scroll">
        <table className="data-table eval-report__table" aria-label={`The ${report.baseline} against each strategy`}>
          <thead>
            <tr>
              <th>against</th>
              <th className="num">win</th>
              <th className="num">tie</th>
              <th className="num">loss</th>
              <th>net (95% CI)</th>
            </tr>
          </thead>
          <tbody>
            {report.comparisons.map((c) => (
              <tr key={c.strategy}>
                <td className="data-table__strong eval-report__strategy">{c.strategy}</td>
                <td className="num">{c.overall.wins}</td>
                <td className="num">{c.overall.ties}</td>
                <td className="num">{c.overall.losses}</td>
                <td className="eval-report__net">
                  {formatSigned(c.overall.net.value)} <span className="eval-report__ci">{formatInterval(c.overall.net)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="field__hint">
        Net is the share of questions the {report.baseline} won minus the share it lost, with a paired bootstrap 95%
        interval; an interval that spans 0 is no clear difference.
      </p>
      <h4 className="panel__subtitle">Cost, tokens and latency</h4>
      <div className="table-scroll">
        <table className="data-table eval-report__table" aria-label="Cost, tokens and latency per strategy">
          <thead>
            <tr>
              <th>strategy</th>
              <th className="num">answers</th>
              <th className="num">calls</th>
              <th className="num">tokens / question</th>
              <th className="num">cost</th>
              <th className="num">mean latency</th>
            </tr>
          </thead>
          <tbody>
            {report.strategies.map((s) => (
              <tr key={s.strategy}>
                <td className="data-table__strong eval-report__strategy">{s.strategy}</td>
                <td className="num">
                  {s.answered}/{s.answered + s.failed}
                </td>
                <td className="num">{s.calls}</td>
                <td className="num">{Math.round(s.tokens_per_question).toLocaleString('en')}</td>
                <td className="num">{s.cost === null ? '—' : `$${s.cost.toFixed(4)}`}</td>
                <td className="num">{s.latency_ms.mean === null ? '—' : `${(s.latency_ms.mean / 1000).toFixed(2)} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted eval-report__judges">
        Judges: {report.evaluation.judges.join(', ')} · position consistency{' '}
        {consistency === null ? '—' : `${Math.round(consistency * 100)}%`} · Fleiss' κ {kappa === null ? '—' : kappa.toFixed(2)}
      </p>
      <a className="btn btn--ghost" href={evaluationsApi.htmlUrl(id)} target="_blank" rel="noreferrer">
        Open the full report (charts)
      </a>
    </div>
  );
}
