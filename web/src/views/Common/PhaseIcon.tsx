import type { ModelPhase } from '../../state/run';

const TEXT: Record<ModelPhase, string> = {
  waiting: 'waiting',
  streaming: 'answering',
  done: 'done',
  failed: 'failed',
};

/** A small status mark with a text alternative for screen readers. */
export function PhaseIcon({ phase, fallback = false }: { phase: ModelPhase; fallback?: boolean }) {
  const glyph = phase === 'failed' ? '✕' : phase === 'done' ? (fallback ? '↺' : '✓') : phase === 'streaming' ? '' : '○';
  const label = fallback && phase === 'done' ? 'done by a fallback' : TEXT[phase];
  return (
    <span className={`phase phase--${phase}${fallback ? ' phase--fallback' : ''}`} role="img" aria-label={label} title={label}>
      {glyph}
    </span>
  );
}
