import { useEffect, useState } from 'react';
import type { ModelView } from '../../state/run';
import { displayNames } from '../../lib/deanonymise';
import { Tabs, type TabItem } from '../Common/Tabs';
import { ErrorCard, FallbackBadge, ModelMeta } from '../Common/ModelMeta';
import { Markdown } from '../Markdown/Markdown';
import { PhaseIcon } from '../Common/PhaseIcon';
import { ContinueButton } from '../Stage3/ContinueButton';

function tone(v: ModelView): TabItem['tone'] {
  if (v.phase === 'failed') return 'failed';
  if (v.fallbackFrom) return 'fallback';
  return v.phase;
}

function roundName(index: number): string {
  return index === 0 ? 'First answers' : `Revision ${index}`;
}

const TITLES: Record<string, string> = {
  answers: 'Answers side by side',
  'self-moa': 'Samples of one model',
};

/**
 * Stage 1: every member's own answer, one tab each, streaming as tokens arrive. In mode revise,
 * a row of rounds above the tabs shows the first answers and each revision (the latest, which
 * the review read, by default). An answer the output limit cut can be continued.
 */
export function Stage1({
  rows,
  live,
  rounds = [],
  round = 0,
  mode = 'classic',
  runId = null,
}: {
  rows: ModelView[];
  live: boolean;
  rounds?: ModelView[][];
  round?: number;
  mode?: string;
  runId?: string | null;
}) {
  const [selected, setSelected] = useState<string>('');
  const [shownRound, setShownRound] = useState<number | null>(null);
  const [continued, setContinued] = useState<Record<string, { text: string; finishReason: string | null }>>({});
  useEffect(() => setContinued({}), [runId]);
  if (rows.length === 0) return null;
  const all = [...rounds, rows];
  const showing = shownRound !== null && shownRound < all.length ? shownRound : all.length - 1;
  const latest = showing === all.length - 1;
  const shown = all[showing] ?? rows;
  const names = displayNames(shown.map((r) => r.model));
  const picked = shown.find((r) => r.model === selected) ?? shown[0]!;
  const current = latest && continued[picked.model] ? { ...picked, text: continued[picked.model]!.text, finishReason: continued[picked.model]!.finishReason } : picked;
  const items: TabItem[] = shown.map((r) => ({
    id: r.model,
    tone: tone(r),
    label: (
      <>
        <PhaseIcon phase={r.phase} fallback={Boolean(r.fallbackFrom)} />
        <span className="tabs__name">{names.get(r.model)}</span>
      </>
    ),
  }));
  if (mode === 'answers') return <SideBySide rows={rows} live={live} names={displayNames(rows.map((r) => r.model))} />;
  const title = all.length > 1 ? `Answers and ${all.length - 1} revision round${all.length > 2 ? 's' : ''}` : (TITLES[mode] ?? 'Individual answers');
  return (
    <section className="stage stage--1" aria-label="Stage 1: individual answers" data-mode={mode}>
      <h3 className="stage__title">
        <span className="stage__number">1</span> {title}
        {live && round > 0 && <span className="stage__round muted"> · revising, round {round}</span>}
      </h3>
      {all.length > 1 && (
        <div className="rounds" role="group" aria-label="Revision rounds">
          {all.map((_, i) => (
            <button
              key={i}
              type="button"
              className={`rounds__item${i === showing ? ' rounds__item--active' : ''}`}
              aria-pressed={i === showing}
              onClick={() => setShownRound(i)}
            >
              {roundName(i)}
            </button>
          ))}
        </div>
      )}
      <Tabs items={items} selected={current.model} onSelect={setSelected} label="Council members">
        <div className="model-panel" data-model={current.model}>
          <div className="model-panel__head">
            <span className="model-panel__id">{current.model}</span>
            <ModelMeta view={current} />
          </div>
          <FallbackBadge view={current} />
          {current.phase === 'failed' && current.error && <ErrorCard failure={current.error} />}
          {current.text ? (
            <Markdown text={current.text} />
          ) : current.phase !== 'failed' ? (
            <p className="muted">{live ? 'Waiting for the first tokens…' : 'No answer.'}</p>
          ) : null}
          {current.phase === 'streaming' && <span className="cursor" aria-hidden="true" />}
          {current.finishReason === 'length' && !live && latest && (
            <ContinueButton
              runId={runId}
              stage={1}
              model={current.model}
              onContinued={(text, finishReason) => setContinued((c) => ({ ...c, [current.model]: { text, finishReason } }))}
            />
          )}
        </div>
      </Tabs>
    </section>
  );
}

/** Mode answers: every member's answer in a column of its own, to compare them at a glance. */
function SideBySide({ rows, live, names }: { rows: ModelView[]; live: boolean; names: Map<string, string> }) {
  return (
    <section className="stage stage--1" aria-label="Stage 1: individual answers" data-mode="answers">
      <h3 className="stage__title">
        <span className="stage__number">1</span> Answers side by side
      </h3>
      <div className="answers-grid">
        {rows.map((r) => (
          <article key={r.model} className="answers-grid__item model-panel" data-model={r.model} aria-label={`Answer of ${names.get(r.model) ?? r.model}`}>
            <div className="model-panel__head">
              <span className="answers-grid__name">
                <PhaseIcon phase={r.phase} fallback={Boolean(r.fallbackFrom)} /> {names.get(r.model)}
              </span>
              <ModelMeta view={r} />
            </div>
            <FallbackBadge view={r} />
            {r.phase === 'failed' && r.error && <ErrorCard failure={r.error} />}
            {r.text ? <Markdown text={r.text} /> : r.phase !== 'failed' ? <p className="muted">{live ? 'Waiting for the first tokens…' : 'No answer.'}</p> : null}
            {r.phase === 'streaming' && <span className="cursor" aria-hidden="true" />}
          </article>
        ))}
      </div>
    </section>
  );
}
