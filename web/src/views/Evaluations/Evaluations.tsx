import { useCallback, useEffect, useState } from 'react';
import { formatDateTime } from '../../lib/format';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import { evaluationsApi, progressText, shareDone, statusTone, type Evaluation } from './api';
import { Report } from './Report';
import { StartPanel } from './StartPanel';

const POLL_MS = 2000;

function EvaluationCard({ evaluation, onResume }: { evaluation: Evaluation; onResume: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const p = evaluation.progress;
  const resumable = !p.running && (evaluation.status === 'interrupted' || evaluation.status === 'failed');
  return (
    <Panel
      title={evaluation.name}
      actions={
        <span className="eval-card__actions">
          <span className={`pill pill--${statusTone(evaluation.status)}`} data-testid="evaluation-status">
            {evaluation.status}
          </span>
          {evaluation.status === 'complete' && (
            <button type="button" className="btn btn--small" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'Hide report' : 'Show report'}
            </button>
          )}
          {resumable && (
            <button type="button" className="btn btn--small" onClick={() => onResume(evaluation.id)}>
              Resume
            </button>
          )}
        </span>
      }
    >
      <p className="muted eval-card__facts">
        {evaluation.questions} questions · {evaluation.strategies.join(', ')} · started {formatDateTime(evaluation.created_at)}
        {evaluation.simulated ? ' · simulated' : ''}
      </p>
      <progress
        className="meter eval-card__meter"
        max={1}
        value={shareDone(p)}
        aria-label={`Progress of ${evaluation.name}`}
      />
      <p className="eval-card__progress">{progressText(evaluation)}</p>
      {evaluation.status === 'interrupted' && (
        <p className="notice" role="note">
          Stopped before the end (its server stopped). Resume continues where it stopped: finished calls are not
          repeated.
        </p>
      )}
      {evaluation.error && evaluation.status !== 'interrupted' && <ErrorNote error={evaluation.error} />}
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
