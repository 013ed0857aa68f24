import { useState, type FormEvent } from 'react';
import { ErrorNote, errorText, Panel } from '../Common/Page';
import { evaluationsApi, type Evaluation, type StartForm } from './api';

const EMPTY: StartForm = { file: null, name: '', strategies: '', judges: '', concurrency: 4, reuse: false };

/** Start an evaluation: a dataset (or the starter one), strategies, judges, options. */
export function StartPanel({ onStarted }: { onStarted: (e: Evaluation) => void }) {
  const [form, setForm] = useState<StartForm>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A file input cannot be emptied from state: a new key gives a fresh one after a start.
  const [round, setRound] = useState(0);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onStarted(await evaluationsApi.start(form));
      setForm(EMPTY);
      setRound(round + 1);
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
      <form className="stack" aria-label="Start an evaluation" onSubmit={(e) => void submit(e)}>
        <div className="form-row">
          <label className="field field--grow">
            <span className="field__label">Dataset (.jsonl or .csv)</span>
            <input
              key={round}
              className="eval-start__file"
              type="file"
              accept=".jsonl,.json,.ndjson,.csv"
              onChange={(e) => setForm({ ...form, file: e.target.files?.[0] ?? null })}
            />
          </label>
          <label className="field field--grow">
            <span className="field__label">Name</span>
            <input
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              placeholder={form.file ? form.file.name : 'starter'}
            />
          </label>
        </div>
        <p className="field__hint">
          JSONL, one object a line, or CSV with a header: <code>question</code>, and optionally <code>reference</code>,{' '}
          <code>category</code>, <code>match</code> (judge, exact or numeric).
        </p>
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
        </div>
        <div className="form-row">
          <label className="field">
            <span className="field__label">Concurrency</span>
            <input
              className="eval-start__number"
              type="number"
              min={1}
              max={64}
              value={form.concurrency}
              onChange={(e) => setForm({ ...form, concurrency: Number(e.target.value) || 1 })}
            />
          </label>
          <label className="eval-start__check">
            <input type="checkbox" checked={form.reuse} onChange={(e) => setForm({ ...form, reuse: e.target.checked })} />
            Reuse answers from earlier evaluations
          </label>
          <button type="submit" className="btn btn--primary eval-start__submit" disabled={busy}>
            {busy ? 'Starting…' : 'Start'}
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
    </Panel>
  );
}
