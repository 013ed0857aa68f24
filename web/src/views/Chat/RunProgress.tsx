import type { RunView } from '../../state/run';

const STEPS = [
  { phase: 'stage1', label: 'Answers' },
  { phase: 'stage2', label: 'Reviews' },
  { phase: 'stage3', label: 'Final answer' },
] as const;

/** The steps a mode goes through (mode answers has no review or final answer). */
function stepsOf(mode: string) {
  if (mode === 'answers') return STEPS.slice(0, 1);
  if (mode === 'select') return [STEPS[0], STEPS[1], { phase: 'stage3', label: 'Top answer' } as const];
  if (mode === 'revise') return [{ phase: 'stage1', label: 'Answers and revisions' } as const, STEPS[1], STEPS[2]];
  return STEPS;
}

/** Where the running council is: a three-step indicator with live text for screen readers. */
export function RunProgress({ run, stopping }: { run: RunView; stopping: boolean }) {
  const steps = stepsOf(run.mode);
  const current = steps.findIndex((s) => s.phase === run.phase);
  const answering = run.stage1.filter((r) => r.phase === 'done').length;
  const status = stopping
    ? 'Stopping…'
    : run.phase === 'starting'
      ? 'Convening the council…'
      : run.phase === 'stage1'
        ? run.round > 0
          ? `Members revising after reading each other, round ${run.round} (${answering}/${run.stage1.length} done)`
          : `Members answering (${answering}/${run.stage1.length} done)`
        : run.phase === 'stage2'
          ? 'Members review each other’s anonymised answers'
          : run.phase === 'stage3'
            ? run.mode === 'select'
              ? 'Choosing the top-ranked answer'
              : 'The Chairman writes the final answer'
            : 'Finishing…';
  return (
    <div className="progress">
      <ol className="progress__steps">
        {steps.map((s, i) => (
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
