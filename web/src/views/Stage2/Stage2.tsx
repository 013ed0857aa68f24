import { useState } from 'react';
import type { RunMetadata } from '../../api/types';
import type { ReviewerView } from '../../state/run';
import { deanonymise, displayNames, shortModelName } from '../../lib/deanonymise';
import { rankedItems, reviewStatus } from '../../lib/ranking';
import { Tabs, type TabItem } from '../Common/Tabs';
import { ErrorCard, ModelMeta } from '../Common/ModelMeta';
import { PhaseIcon } from '../Common/PhaseIcon';
import { Markdown } from '../Markdown/Markdown';
import { Leaderboard } from './Leaderboard';

function ParsedRanking({ reviewer, labelToModel }: { reviewer: ReviewerView; labelToModel: Record<string, string> }) {
  const status = reviewStatus(reviewer);
  if (!status) return null; // not read yet: nothing to report, least of all an alarm
  const items = rankedItems(reviewer.parsedRanking, labelToModel, reviewer.ownLabel);
  return (
    <div className={`parsed-ranking parsed-ranking--${status.tone}`}>
      <h4 className="parsed-ranking__title">How this review was read</h4>
      <p className={`review-status review-status--${status.tone}`} role="status">
        <span className="review-status__mark" aria-hidden="true">
          {status.tone === 'ok' ? '✓' : status.tone === 'partial' ? '◐' : '○'}
        </span>{' '}
        {status.summary}
      </p>
      {status.reminder && <p className="review-status__note muted">{status.reminder}</p>}
      {status.conflict && <p className="review-status__note muted">Its JSON and a later ranking disagreed; the last one stated counts. {status.conflict}</p>}
      {reviewer.parseIssues.length > 0 && (
        <ul className="parse-issues">
          {reviewer.parseIssues.map((issue, i) => (
            <li key={i}>{issue}</li>
          ))}
        </ul>
      )}
      {items.length > 0 && (
        <ol className="parsed-ranking__list">
          {items.map((item) => (
            <li key={item.label}>
              <strong>{shortModelName(item.model)}</strong> <span className="muted">{item.label}</span>
              {item.own && <span className="badge badge--own">own answer</span>}
            </li>
          ))}
        </ol>
      )}
      {reviewer.repair?.asked && reviewer.repair.reply && (
        <details className="review-extra">
          <summary>Show the reminder’s reply</summary>
          <Markdown text={deanonymise(reviewer.repair.reply, labelToModel)} />
        </details>
      )}
    </div>
  );
}

/** Stage 2: each reviewer's evaluation, de-anonymised for display, and the aggregate. */
export function Stage2({
  rows,
  metadata,
  live,
  started = false,
}: {
  rows: ReviewerView[];
  metadata: RunMetadata | null;
  live: boolean;
  /** The run has reached stage 2 (shows the section before the first reviewer's words). */
  started?: boolean;
}) {
  const [selected, setSelected] = useState('');
  const labelToModel = metadata?.label_to_model ?? {};
  if (metadata?.ranking_skipped) {
    return (
      <section className="stage stage--2" aria-label="Stage 2: peer rankings">
        <h3 className="stage__title">
          <span className="stage__number">2</span> Peer rankings
        </h3>
        <p className="notice">Ranking skipped{metadata.ranking_skipped_reason ? `: ${metadata.ranking_skipped_reason}` : '.'}</p>
      </section>
    );
  }
  if (rows.length === 0 && !metadata) {
    if (!live || !started) return null;
    return (
      <section className="stage stage--2" aria-label="Stage 2: peer rankings">
        <h3 className="stage__title">
          <span className="stage__number">2</span> Peer rankings
        </h3>
        <p className="muted">The members are reading each other’s anonymised answers…</p>
      </section>
    );
  }
  const names = displayNames(rows.map((r) => r.model));
  const current = rows.find((r) => r.model === selected) ?? rows[0];
  const items: TabItem[] = rows.map((r) => ({
    id: r.model,
    tone: r.phase === 'failed' ? 'failed' : r.phase,
    label: (
      <>
        <PhaseIcon phase={r.phase} />
        <span className="tabs__name">{names.get(r.model)}</span>
        {r.phase === 'done' && reviewStatus(r)?.tone === 'failed' && (
          <span className="tabs__note" title="this review's ranking does not count" aria-label="ranking not counted">
            ○
          </span>
        )}
      </>
    ),
  }));
  return (
    <section className="stage stage--2" aria-label="Stage 2: peer rankings">
      <h3 className="stage__title">
        <span className="stage__number">2</span> Peer rankings
      </h3>
      {current && (
        <Tabs items={items} selected={current.model} onSelect={setSelected} label="Reviewers">
          <div className="model-panel" data-model={current.model}>
            <div className="model-panel__head">
              <span className="model-panel__id">Evaluation by {current.model}</span>
              <ModelMeta view={current} />
            </div>
            {current.phase === 'failed' && current.error && <ErrorCard failure={current.error} />}
            {current.reasoning && (
              <details className="review-extra review-reasoning">
                <summary>Show reasoning</summary>
                <div className="review-reasoning__text">{current.reasoning}</div>
              </details>
            )}
            {current.text ? (
              <Markdown text={metadata ? deanonymise(current.text, labelToModel) : current.text} />
            ) : current.phase !== 'failed' ? (
              <p className="muted">{live ? 'Reading the answers…' : 'No evaluation.'}</p>
            ) : null}
            {current.phase === 'done' && <ParsedRanking reviewer={current} labelToModel={labelToModel} />}
          </div>
        </Tabs>
      )}
      {metadata && <Leaderboard metadata={metadata} />}
    </section>
  );
}
