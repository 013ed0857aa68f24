import { useEffect, useState } from 'react';
import { documentsApi } from '../../api/documents';
import type { DocumentInfo, RunDocuments } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';

// Per run: what it was shown never changes once it has ended (null: nothing to say).
const cache = new Map<string, RunDocuments | null>();

/** What a finished run was shown of the documents, fetched once per run. */
export function useRunDocuments(conversationId: string | null, runId: string | null, finished: boolean): RunDocuments | null {
  const key = runId ? `${conversationId}/${runId}` : null;
  const [record, setRecord] = useState<RunDocuments | null>(key ? (cache.get(key) ?? null) : null);
  useEffect(() => {
    if (!conversationId || !runId || !key || !finished) return;
    if (cache.has(key)) {
      setRecord(cache.get(key) ?? null);
      return;
    }
    let alive = true;
    documentsApi.forRun(conversationId, runId).then(
      (r) => {
        cache.set(key, r);
        if (alive) setRecord(r);
      },
      () => undefined, // unreachable now: said nothing, tried again next time
    );
    return () => {
      alive = false;
    };
  }, [conversationId, runId, key, finished]);
  return record;
}

/** Forgets what is known of a run (it was retried, so what it saw may change). */
export function forgetRunDocuments(conversationId: string, runId: string): void {
  cache.delete(`${conversationId}/${runId}`);
}

/** "chapters 3–4 of 12", "all 12 chapters"; the server's "all of it" reads "all of <title>". */
function seenWords(description: string, shown: number, of: number): string {
  if (description === 'all of it') return 'all';
  return description || `${shown} of ${of} sections`;
}

function focusTitle(record: RunDocuments): string | null {
  const focus = record.focus;
  const doc = record.documents.find((d) => d.document_id === focus?.document_id);
  return doc?.sections.find((s) => s.number === focus?.section)?.title ?? null;
}

function names(models: string[]): string {
  return models.map(shortModelName).join(', ');
}

type ImageSeen = NonNullable<RunDocuments['images']>[number];

/** "photo.png: seen by grok-4, gpt-4o-mini · left out for llama-3.3 (does not read images)". */
export function imageWords(image: ImageSeen): { seen: string; leftOut: string | null } {
  const seen = image.seen_by.length ? `seen by ${names(image.seen_by)}` : 'seen by no model';
  const leftOut = image.left_out_for.length
    ? `left out for ${names(image.left_out_for)}${image.reason ? ` (${image.reason})` : ''}`
    : null;
  return { seen, leftOut };
}

/**
 * Under an answer: which parts of each document it saw ("Saw chapters 3–4 of 12"), the turns
 * its history left out, and which models saw each image (those without image input did not).
 */
export function RunContextNote({ record, documents }: { record: RunDocuments; documents: DocumentInfo[] }) {
  const seenImages = record.images ?? [];
  // A run recorded before images were sent to anyone names only the images left out.
  const images = seenImages.length ? [] : documents.filter((d) => d.kind === 'image');
  const leftOut = images.filter((d) => record.images_left_out.includes(d.id));
  const leftOutUnknown = seenImages.length ? 0 : record.images_left_out.filter((id) => !images.some((d) => d.id === id)).length;
  const lines = record.documents.length + (record.dropped_turns ? 1 : 0) + record.images_left_out.length + seenImages.length;
  if (lines === 0 && !record.notes?.length) return null;
  return (
    <ul className="run-context" aria-label="What this answer saw">
      {record.documents.map((d) => (
        <li key={d.document_id} className={`run-context__item${d.sections.length < d.of ? ' run-context__item--partial' : ''}`}>
          <span className="run-context__icon" aria-hidden="true">
            ▤
          </span>
          <span>
            Saw {seenWords(d.description, d.sections.length, d.of)} of <cite>{d.title}</cite>
            {d.sections.length < d.of && <span className="muted"> · the rest was left out for length</span>}
          </span>
        </li>
      ))}
      {Object.entries(record.by_model ?? {}).flatMap(([model, share]) =>
        share.documents.map((d) => (
          <li
            key={`${model}/${d.document_id}`}
            className={`run-context__item${d.sections.length < d.of ? ' run-context__item--partial' : ''}`}
            data-testid="model-share"
          >
            <span className="run-context__icon" aria-hidden="true">
              ▤
            </span>
            <span>
              {shortModelName(model)}, with a larger window, saw {seenWords(d.description, d.sections.length, d.of)} of <cite>{d.title}</cite>
            </span>
          </li>
        )),
      )}
      {record.focus && (
        <li className="run-context__item">
          <span className="run-context__icon" aria-hidden="true">
            ¶
          </span>
          <span>
            Discussing §{record.focus.section}
            {focusTitle(record) ? ` ${focusTitle(record)}` : ''} (reading mode)
          </span>
        </li>
      )}
      {record.dropped_turns > 0 && (
        <li className="run-context__item run-context__item--warn" role="note">
          <span className="run-context__icon" aria-hidden="true">
            ↺
          </span>
          <span>
            Dropped {record.dropped_turns} older turn{record.dropped_turns === 1 ? '' : 's'} to fit the history limit: the council did not see {record.dropped_turns === 1 ? 'it' : 'them'}.
          </span>
        </li>
      )}
      {seenImages.map((image) => {
        const words = imageWords(image);
        return (
          <li
            key={image.document_id}
            className={`run-context__item${image.left_out_for.length ? ' run-context__item--partial' : ''}`}
            data-testid="image-seen"
          >
            <span className="run-context__icon" aria-hidden="true">
              ▨
            </span>
            <span>
              <cite>{image.filename}</cite>: {words.seen}
              {words.leftOut && <span className="muted"> · {words.leftOut}</span>}
            </span>
          </li>
        );
      })}
      {(leftOut.length > 0 || leftOutUnknown > 0) && (
        <li className="run-context__item run-context__item--warn" role="note">
          <span className="run-context__icon" aria-hidden="true">
            ▨
          </span>
          <span>
            {leftOut.length > 0 ? leftOut.map((d) => d.filename).join(', ') : `${leftOutUnknown} image${leftOutUnknown === 1 ? '' : 's'}`} left out for{' '}
            {record.models.length ? names(record.models) : 'these models'}: they do not read images.
          </span>
        </li>
      )}
      {record.notes?.map((note) => (
        <li key={note} className="run-context__item muted">
          <span className="run-context__icon" aria-hidden="true">
            ·
          </span>
          <span>{note}</span>
        </li>
      ))}
    </ul>
  );
}
