import type { RunView } from '../../state/run';

const STEPS = [
  { phase: 'stage1', label: 'Answers' },
  { phase: 'stage2', label: 'Reviews' },
  { phase: 'stage3', label: 'Final answer' },
] as const;

/** Where the running council is: a three-step indicator with live text for screen readers. */
export function RunProgress({ run, stopping }: { run: RunView; stopping: boolean }) {
  const current = STEPS.findIndex((s) => s.phase === run.phase);
  const answering = run.stage1.filter((r) => r.phase === 'done').length;
  const status = stopping
    ? 'Stopping…'
    : run.phase === 'starting'
      ? 'Convening the council…'
      : run.phase === 'stage1'
        ? `Members answering (${answering}/${run.stage1.length} done)`
        : run.phase === 'stage2'
          ? 'Members review each other’s anonymised answers'
          : run.phase === 'stage3'
            ? 'The Chairman writes the final answer'
            : 'Finishing…';
  return (
    <div className="progress">
      <ol className="progress__steps">
        {STEPS.map((s, i) => (
          <li
            key={s.phase}
            className={`progress__step${i < current ? ' progress__step--done' : ''}${i === current ? ' progress__step--active' : ''}`}
            aria-current={i === current ? 'step' : undefined}
          >
            <span className="progress__dot">{i + 1}</span> {s.label}
          </li>
        ))}
      </ol>
      <p className="progress__status" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" /> {status}
      </p>
    </div>
  );
}
