import type { AgreementReport, CostsReport, Estimate, ModelsReport } from '../../api/analytics';
import { formatCost, formatCount, formatSeconds } from '../../lib/format';
import { Panel } from '../Common/Page';
import { Figure, IntervalChart } from './Charts';
import { compactNumber, formatEstimate, upperDomain, type FigureKind } from './figures';
import { isSmallSample, modelCostQuality, presetCostQuality, sampleText, type FigureRow, type ModelCostQuality } from './shape';

const ROLE_TEXT: Record<string, string> = { answer: 'answers', review: 'reviews', synthesis: 'final answers' };

function bars(rows: ModelCostQuality[], value: (r: ModelCostQuality) => number | null): FigureRow[] {
  return rows.map((r) => ({ key: r.model, label: r.label, value: value(r), low: null, high: null, error: null, n: r.calls, small: r.small }));
}

/** A figure in a table cell: the value and interval, its n (and a small sample) below. */
function EstimateCell({ estimate, kind }: { estimate: Estimate | null; kind: FigureKind }) {
  if (!estimate) return <>–</>;
  return (
    <>
      {formatEstimate(estimate, kind)}
      <div className={estimate.small_sample ? 'analytics-small' : 'muted analytics-roles'}>{sampleText(estimate.n, estimate.small_sample)}</div>
    </>
  );
}

function Small({ on }: { on: boolean }) {
  return on ? <span className="analytics-small"> · small sample</span> : null;
}

/** Calls, tokens, cost and latency per model and per preset, beside the quality they bought. */
export function Costs({ costs, models, agreement, currency }: { costs: CostsReport; models: ModelsReport | null; agreement: AgreementReport | null; currency: string }) {
  const rows = modelCostQuality(costs, models);
  const presets = presetCostQuality(costs, agreement);
  const calls = rows.reduce((t, r) => t + r.calls, 0);
  const money = (v: number) => formatCost(v, currency);
  const seconds = (v: number) => formatSeconds(v) ?? '–';
  const costBars = bars(rows, (r) => r.costPerCall);
  const latencyBars = bars(rows, (r) => r.meanLatencyMs);
  if (rows.length === 0) {
    return (
      <Panel title="Cost and speed">
        <p className="muted analytics-none">No model calls in these runs.</p>
      </Panel>
    );
  }
  return (
    <Panel title="Cost and speed">
      <p className="panel__lead muted">Every call of each model (answers, reviews, final answers), next to the quality of its answers. n counts calls.</p>
      <div className="analytics-grid">
        <Figure title={`Cost per call (${currency})`} sample={sampleText(calls, isSmallSample(calls), 'calls')}>
          <IntervalChart rows={costBars} format={money} axisFormat={compactNumber} domain={upperDomain(costBars)} unit="calls" />
        </Figure>
        <Figure title="Mean latency per call" sample={sampleText(calls, isSmallSample(calls), 'calls')}>
          <IntervalChart rows={latencyBars} format={seconds} domain={upperDomain(latencyBars)} unit="calls" />
        </Figure>
      </div>
      <h4 className="panel__subtitle">Per model</h4>
      <div className="table-scroll">
        <table className="data-table" aria-label="Cost and quality per model">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Calls (n)
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                Tokens in / out
              </th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Mean latency
              </th>
              <th scope="col" className="num">
                Peer strength
              </th>
              <th scope="col" className="num">
                People’s strength
              </th>
              <th scope="col" className="num">
                Win rate
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.model}>
                <td className="data-table__strong">
                  {r.model}
                  <div className="muted analytics-roles">{r.roles.map((role) => ROLE_TEXT[role] ?? role).join(', ')}</div>
                </td>
                <td className="num nowrap">
                  {formatCount(r.calls)}
                  <Small on={r.small} />
                </td>
                <td className="num">{formatCount(r.failed)}</td>
                <td className="num nowrap">
                  {formatCount(r.promptTokens)} / {formatCount(r.completionTokens)}
                </td>
                <td className="num nowrap">{r.cost === null ? '–' : money(r.cost)}</td>
                <td className="num nowrap">{r.meanLatencyMs === null ? '–' : seconds(r.meanLatencyMs)}</td>
                <td className="num nowrap">
                  <EstimateCell estimate={r.strength} kind="signed" />
                </td>
                <td className="num nowrap">
                  <EstimateCell estimate={r.humanStrength} kind="signed" />
                </td>
                <td className="num nowrap">
                  <EstimateCell estimate={r.winRate} kind="share" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4 className="panel__subtitle">Per preset</h4>
      <div className="table-scroll">
        <table className="data-table" aria-label="Cost and quality per preset">
          <thead>
            <tr>
              <th scope="col">Preset</th>
              <th scope="col" className="num">
                Runs (n)
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Per run
              </th>
              <th scope="col" className="num">
                Mean duration
              </th>
              <th scope="col" className="num">
                Council’s top was people’s pick
              </th>
            </tr>
          </thead>
          <tbody>
            {presets.map((p) => (
              <tr key={p.key}>
                <td className="data-table__strong">{p.label}</td>
                <td className="num nowrap">
                  {formatCount(p.runs)}
                  <Small on={p.small} />
                </td>
                <td className="num">{formatCount(p.tokens)}</td>
                <td className="num nowrap">{p.cost === null ? '–' : money(p.cost)}</td>
                <td className="num nowrap">{p.meanCost === null ? '–' : money(p.meanCost)}</td>
                <td className="num nowrap">{p.meanDurationMs === null ? '–' : seconds(p.meanDurationMs)}</td>
                <td className="num nowrap">{p.agreement ? <EstimateCell estimate={p.agreement} kind="share" /> : 'no votes'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
