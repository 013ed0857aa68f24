import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatDateTime } from '../../lib/format';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import {
  batchesApi,
  isActive,
  MAX_QUESTIONS,
  progressText,
  questionsFrom,
  shareEnded,
  statusNote,
  statusTone,
  type Batch,
  type SubmitForm,
} from './api';

const POLL_MS = 2000;
const EMPTY: SubmitForm = { questions: '', name: '', concurrency: 2 };

function SubmitPanel({ onSubmitted }: { onSubmitted: () => void }) {
  const [form, setForm] = useState<SubmitForm>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const count = questionsFrom(form.questions).length;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await batchesApi.submit(form);
      setForm(EMPTY);
      onSubmitted();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Ask many questions">
      <p className="muted">
        Each question goes to the council as a run of its own, in the background: it counts against your usage and
        budget like a question asked here. Close the page if you like; the batch goes on.
      </p>
      <form className="stack" aria-label="Submit a batch" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span className="field__label">Questions, one a line</span>
          <textarea
            rows={6}
            value={form.questions}
            onChange={(e) => setForm({ ...form, questions: e.target.value })}
          />
        </label>
        <p className="field__hint">
          {count.toLocaleString('en')} question{count === 1 ? '' : 's'} (at most {MAX_QUESTIONS.toLocaleString('en')})
        </p>
        <div className="form-row">
          <label className="field field--grow">
            <span className="field__label">Name</span>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder="batch" />
          </label>
          <label className="field">
            <span className="field__label">At once</span>
            <input
              className="eval-start__number"
              type="number"
              min={1}
              max={16}
              value={form.concurrency}
              onChange={(e) => setForm({ ...form, concurrency: Number(e.target.value) || 1 })}
            />
          </label>
          <button type="submit" className="btn btn--primary eval-start__submit" disabled={busy || count === 0}>
            {busy ? 'Submitting…' : 'Submit'}
          </button>
        </div>
        <ErrorNote error={error} />
      </form>
    </Panel>
  );
}

function BatchCard({ batch, onCancel }: { batch: Batch; onCancel: (id: string) => void }) {
  const note = statusNote(batch);
  return (
    <Panel
      title={batch.name}
      actions={
        <span className="eval-card__actions">
          <span className={`pill pill--${statusTone(batch.status)}`} data-testid="batch-status">
            {batch.status.replace('_', ' ')}
          </span>
          <a className="btn btn--small" href={batchesApi.resultsUrl(batch.id, 'csv')} download>
            CSV
          </a>
          <a className="btn btn--small" href={batchesApi.resultsUrl(batch.id, 'jsonl')} download>
            JSONL
          </a>
          {isActive(batch) && (
            <button type="button" className="btn btn--small" onClick={() => onCancel(batch.id)}>
              Cancel
            </button>
          )}
        </span>
      }
    >
      <p className="muted eval-card__facts">
        {batch.progress.total} questions · {batch.preset ?? 'default council'}
        {batch.mode ? ` · ${batch.mode}` : ''} · submitted {formatDateTime(batch.created_at)}
      </p>
      <progress
        className="meter eval-card__meter"
        max={1}
        value={shareEnded(batch.progress)}
        aria-label={`Progress of ${batch.name}`}
      />
      <p className="eval-card__progress">{progressText(batch)}</p>
      {note && (
        <p className="notice" role="note">
          {note}
        </p>
      )}
    </Panel>
  );
}

/** Batches: submit many questions, watch their progress, download the answers. */
export function Batches() {
  const [batches, setBatches] = useState<Batch[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setBatches(await batchesApi.list());
      setError(null);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const active = batches?.some(isActive);
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => void refresh(), POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, refresh]);
  const cancel = async (id: string) => {
    try {
      await batchesApi.cancel(id);
    } catch (err) {
      setError(errorText(err));
    }
    void refresh();
  };
  return (
    <Page label="Batches">
      <SubmitPanel onSubmitted={() => void refresh()} />
      <ErrorNote error={error} />
      {batches === null ? (
        <p className="muted">Loading…</p>
      ) : batches.length === 0 ? (
        <p className="muted">No batch yet.</p>
      ) : (
        batches.map((b) => <BatchCard key={b.id} batch={b} onCancel={(id) => void cancel(id)} />)
      )}
    </Page>
  );
}
