import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatDateTime } from '../../lib/format';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import {
  evaluationsApi,
  formatNet,
  shareDone,
  type Evaluation,
  type EvaluationReport,
  type StartForm,
} from './api';

const POLL_MS = 2000;
const EMPTY: StartForm = { file: null, name: '', strategies: '', judges: '', concurrency: 4, reuse: false };

function StartPanel({ onStarted }: { onStarted: (e: Evaluation) => void }) {
  const [form, setForm] = useState<StartForm>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onStarted(await evaluationsApi.start(form));
      setForm(EMPTY);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Start an evaluation">
      <p className="muted">
        Every question goes to the council and to each strategy you name; a panel of judges compares the council's answer
        with each other one in both orders. Without a file, the 40-question starter dataset is used. Every call counts
        against your usage and budget.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <div className="form-row">
          <label className="field field--grow">
            <span className="field__label">Dataset (.jsonl or .csv)</span>
            <input
              type="file"
              accept=".jsonl,.json,.ndjson,.csv"
              onChange={(e) => setForm({ ...form, file: e.target.files?.[0] ?? null })}
            />
          </label>
          <label className="field field--grow">
            <span className="field__label">Name</span>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="starter" />
          </label>
        </div>
        <div className="form-row">
          <label className="field field--grow">
            <span className="field__label">Strategies</span>
            <input
              value={form.strategies}
              onChange={(e) => setForm({ ...form, strategies: e.target.value })}
              placeholder="council, select, self-moa, members, chairman"
            />
          </label>
          <label className="field field--grow">
            <span className="field__label">Judges</span>
            <input
              value={form.judges}
              onChange={(e) => setForm({ ...form, judges: e.target.value })}
              placeholder="default: three of different families"
            />
          </label>
          <label className="field">
            <span className="field__label">Concurrency</span>
            <input
              type="number"
              min={1}
              max={64}
              value={form.concurrency}
              onChange={(e) => setForm({ ...form, concurrency: Number(e.target.value) || 1 })}
            />
          </label>
          <label className="field">
            <span className="field__label">Reuse answers</span>
            <input type="checkbox" checked={form.reuse} onChange={(e) => setForm({ ...form, reuse: e.target.checked })} />
          </label>
        </div>
        <button type="submit" className="btn" disabled={busy}>
          {busy ? 'Starting…' : 'Start'}
        </button>
      </form>
      <ErrorNote error={error} />
    </Panel>
  );
}

function Report({ id }: { id: string }) {
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
    <div>
      {report.simulated && (
        <p className="notice" role="note">
          Simulated: every answer and verdict came from the built-in simulated upstream.
        </p>
      )}
      <div className="table-scroll">
        <table className="data-table" aria-label={`The ${report.baseline} against each strategy`}>
          <thead>
            <tr>
              <th>{report.baseline} against</th>
              <th>win</th>
              <th>tie</th>
              <th>loss</th>
              <th>net [95% CI]</th>
            </tr>
          </thead>
          <tbody>
            {report.comparisons.map((c) => (
              <tr key={c.strategy}>
                <td className="data-table__strong">{c.strategy}</td>
                <td>{c.overall.wins}</td>
                <td>{c.overall.ties}</td>
                <td>{c.overall.losses}</td>
                <td>{formatNet(c.overall.net)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="table-scroll">
        <table className="data-table" aria-label="Cost, tokens and latency per strategy">
          <thead>
            <tr>
              <th>strategy</th>
              <th>answered</th>
              <th>calls</th>
              <th>tokens / question</th>
              <th>cost</th>
              <th>mean latency</th>
            </tr>
          </thead>
          <tbody>
            {report.strategies.map((s) => (
              <tr key={s.strategy}>
                <td className="data-table__strong">{s.strategy}</td>
                <td>
                  {s.answered}/{s.answered + s.failed}
                </td>
                <td>{s.calls}</td>
                <td>{Math.round(s.tokens_per_question).toLocaleString('en')}</td>
                <td>{s.cost === null ? '—' : `$${s.cost.toFixed(4)}`}</td>
                <td>{s.latency_ms.mean === null ? '—' : `${(s.latency_ms.mean / 1000).toFixed(2)} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        Judges: {report.evaluation.judges.join(', ')} · position consistency{' '}
        {consistency === null ? '—' : `${Math.round(consistency * 100)}%`} · Fleiss' κ {kappa === null ? '—' : kappa.toFixed(2)}
      </p>
      <a className="btn btn--ghost" href={evaluationsApi.htmlUrl(id)} target="_blank" rel="noreferrer">
        Open the full report (charts)
      </a>
    </div>
  );
}

function EvaluationCard({ evaluation, onResume }: { evaluation: Evaluation; onResume: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const p = evaluation.progress;
  return (
    <Panel
      title={`${evaluation.name} — ${evaluation.status}`}
      actions={
        evaluation.status === 'complete' ? (
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setOpen(!open)}>
            {open ? 'Hide report' : 'Show report'}
          </button>
        ) : !p.running && evaluation.status !== 'pending' ? (
          <button type="button" className="btn btn--small" onClick={() => onResume(evaluation.id)}>
            Resume
          </button>
        ) : null
      }
    >
      <p className="muted">
        {evaluation.questions} questions · {evaluation.strategies.join(', ')} · started {formatDateTime(evaluation.created_at)}
        {evaluation.simulated ? ' · simulated' : ''}
      </p>
      <progress className="meter" max={1} value={shareDone(p)} aria-label={`Progress of ${evaluation.name}`} />
      <p className="muted">
        {p.done.toLocaleString('en')} of {p.total.toLocaleString('en')} calls{p.failed ? `, ${p.failed} failed` : ''}
        {p.reused ? `, ${p.reused} reused` : ''}
      </p>
      {evaluation.error && <ErrorNote error={evaluation.error} />}
      {open && <Report id={evaluation.id} />}
    </Panel>
  );
}

/** Evaluations: start one, watch its progress, read its report. */
export function Evaluations() {
  const [evaluations, setEvaluations] = useState<Evaluation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setEvaluations(await evaluationsApi.list());
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const active = evaluations?.some((e) => e.progress.running || e.status === 'pending' || e.status === 'running');
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => void refresh(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, refresh]);
  const resume = async (id: string) => {
    try {
      await evaluationsApi.resume(id);
    } catch (err) {
      setError(errorText(err));
    }
    void refresh();
  };
  return (
    <Page label="Evaluations">
      <StartPanel onStarted={() => void refresh()} />
      <ErrorNote error={error} />
      {evaluations === null ? (
        <p className="muted">Loading…</p>
      ) : evaluations.length === 0 ? (
        <p className="muted">No evaluation yet.</p>
      ) : (
        evaluations.map((e) => <EvaluationCard key={e.id} evaluation={e} onResume={(id) => void resume(id)} />)
      )}
    </Page>
  );
}
