import { useState } from 'react';
import type { ModelView } from '../../state/run';
import { displayNames } from '../../lib/deanonymise';
import { Tabs, type TabItem } from '../Common/Tabs';
import { ErrorCard, FallbackBadge, ModelMeta } from '../Common/ModelMeta';
import { Markdown } from '../Markdown/Markdown';
import { PhaseIcon } from '../Common/PhaseIcon';

function tone(v: ModelView): TabItem['tone'] {
  if (v.phase === 'failed') return 'failed';
  if (v.fallbackFrom) return 'fallback';
  return v.phase;
}

/** Stage 1: every member's own answer, one tab each, streaming as tokens arrive. */
export function Stage1({ rows, live }: { rows: ModelView[]; live: boolean }) {
  const [selected, setSelected] = useState<string>('');
  if (rows.length === 0) return null;
  const names = displayNames(rows.map((r) => r.model));
  const current = rows.find((r) => r.model === selected) ?? rows[0]!;
  const items: TabItem[] = rows.map((r) => ({
    id: r.model,
    tone: tone(r),
    label: (
      <>
        <PhaseIcon phase={r.phase} fallback={Boolean(r.fallbackFrom)} />
        <span className="tabs__name">{names.get(r.model)}</span>
      </>
    ),
  }));
  return (
    <section className="stage stage--1" aria-label="Stage 1: individual answers">
      <h3 className="stage__title">
        <span className="stage__number">1</span> Individual answers
      </h3>
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
        </div>
      </Tabs>
    </section>
  );
}
