import { useEffect, useRef, useState } from 'react';
import { documentsApi } from '../../api/documents';
import type { DocumentDetail, SectionText } from '../../api/types';
import type { CitationTarget } from '../../lib/citations';
import { chapterLevel, discussable, pagesOf } from './DocumentCard';

/** The chapter a section belongs to: itself, or the nearest chapter before it. */
function chapterPosition(detail: DocumentDetail | undefined, position: number): number | null {
  if (!detail) return null;
  const level = chapterLevel(detail.contents);
  for (let i = Math.min(position, detail.contents.length - 1); i >= 0; i--) {
    const s = detail.contents[i]!;
    if (discussable(s, level)) return s.position;
  }
  return null;
}

/** The sections directly below the one at ``position`` (deeper levels until the next sibling). */
export function subsectionsOf<T extends { level: number; position: number }>(contents: T[], position: number): T[] {
  const parent = contents[position];
  if (!parent) return [];
  const below: T[] = [];
  for (const s of contents.slice(position + 1)) {
    if (s.level <= parent.level) break;
    below.push(s);
  }
  const top = Math.min(...below.map((s) => s.level));
  return below.filter((s) => s.level === top);
}

/**
 * The reader panel: one section's text, with its place in the document (previous, next), and
 * "Discuss this chapter" for the chapter it belongs to. Opened from a table of contents or a
 * citation in an answer.
 */
export function Reader({
  conversationId,
  target,
  detail,
  onNeedDetail,
  onNavigate,
  onDiscuss,
  onClose,
  canDiscuss,
}: {
  conversationId: string;
  target: CitationTarget;
  detail: DocumentDetail | undefined;
  onNeedDetail: (documentId: string) => void;
  onNavigate: (target: CitationTarget) => void;
  onDiscuss: (documentId: string, position: number) => void;
  onClose: () => void;
  canDiscuss: boolean;
}) {
  const [section, setSection] = useState<SectionText | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!detail) onNeedDetail(target.documentId);
  }, [detail, target.documentId, onNeedDetail]);

  useEffect(() => {
    let alive = true;
    setError(null);
    documentsApi.section(conversationId, target.documentId, target.position).then(
      (s) => {
        if (!alive) return;
        setSection(s);
        heading.current?.focus();
      },
      (err: unknown) => alive && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      alive = false;
    };
  }, [conversationId, target.documentId, target.position]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const shown = section && section.position === target.position && section.document_id === target.documentId ? section : null;
  const count = detail?.contents.length ?? 0;
  const chapter = chapterPosition(detail, target.position);
  const chapterEntry = chapter !== null ? detail?.contents[chapter] : undefined;
  const go = (position: number) => onNavigate({ documentId: target.documentId, position });
  return (
    <aside className="reader" aria-label="Reader">
      <header className="reader__head">
        <div className="reader__where">
          <span className="reader__doc muted">{detail ? detail.title || detail.filename : ' '}</span>
          <h2 className="reader__title" ref={heading} tabIndex={-1}>
            {shown ? (
              <>
                {shown.level > 0 && <span className="reader__number">§{shown.number}</span>} {shown.title || '(untitled)'}
              </>
            ) : (
              'Loading…'
            )}
          </h2>
          {shown && pagesOf(shown) && <span className="muted reader__pages">{pagesOf(shown)}</span>}
        </div>
        <button type="button" className="btn btn--icon btn--ghost" aria-label="Close the reader" onClick={onClose}>
          ✕
        </button>
      </header>
      <nav className="reader__nav" aria-label="Sections">
        <button type="button" className="btn btn--small" disabled={target.position <= 0} onClick={() => go(target.position - 1)}>
          ‹ Previous
        </button>
        <span className="muted reader__count">{count ? `${target.position + 1} of ${count}` : ''}</span>
        <button type="button" className="btn btn--small" disabled={!count || target.position >= count - 1} onClick={() => go(target.position + 1)}>
          Next ›
        </button>
        {canDiscuss && chapterEntry && (
          <button type="button" className="btn btn--small btn--primary reader__discuss" onClick={() => onDiscuss(target.documentId, chapterEntry.position)}>
            Discuss this chapter
          </button>
        )}
      </nav>
      <div className="reader__body">
        {error && (
          <p className="notice notice--error" role="alert">
            Could not open the section: {error}
          </p>
        )}
        {shown?.summary && (
          <details className="reader__summary">
            <summary>Summary the council keeps of this chapter</summary>
            <p>{shown.summary}</p>
          </details>
        )}
        {shown &&
          shown.text
            .split(/\n\s*\n/)
            .filter((p) => p.trim())
            .map((p, i) => (
              <p key={i} className="reader__para">
                {p}
              </p>
            ))}
        {shown && !shown.text.trim() && (
          <>
            <p className="muted">This section has no text of its own; read it in its subsections:</p>
            <ul className="reader__subsections" aria-label="Subsections">
              {subsectionsOf(detail?.contents ?? [], target.position).map((s) => (
                <li key={s.position}>
                  <button type="button" className="btn btn--small btn--ghost" onClick={() => go(s.position)}>
                    §{s.number} {s.title || '(untitled)'}
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </aside>
  );
}
