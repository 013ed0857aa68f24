import { useState } from 'react';
import type { DocumentDetail, DocumentInfo, SectionEntry } from '../../api/types';
import { formatBytes } from '../../lib/uploads';
import { ConfirmButton } from '../Common/ConfirmButton';

const KIND_LABEL: Record<string, string> = {
  pdf: 'PDF',
  epub: 'EPUB',
  docx: 'DOCX',
  html: 'HTML',
  markdown: 'MD',
  text: 'TXT',
  image: 'IMG',
};

const n = (x: number) => x.toLocaleString('en-US');

/** "12 chapters · 240 pages · 1.2 MB": what the card says under the title. */
export function documentFacts(d: Pick<DocumentInfo, 'kind' | 'chapters' | 'section_count' | 'pages' | 'size_bytes' | 'chars' | 'metadata'>): string {
  const facts: string[] = [];
  if (d.kind === 'image') {
    const { width, height } = d.metadata as { width?: number; height?: number };
    if (width && height) facts.push(`${width}×${height}`);
  } else if (d.chapters > 1) facts.push(`${d.chapters} chapters`);
  else if (d.section_count > 1) facts.push(`${d.section_count} sections`);
  if (d.pages) facts.push(`${n(d.pages)} page${d.pages === 1 ? '' : 's'}`);
  facts.push(formatBytes(d.size_bytes));
  if (d.kind !== 'image') facts.push(`${n(d.chars)} characters`);
  return facts.join(' · ');
}

export function pagesOf(s: Pick<SectionEntry, 'page_start' | 'page_end'>): string | null {
  if (s.page_start == null) return null;
  return s.page_end != null && s.page_end !== s.page_start ? `pp. ${s.page_start}–${s.page_end}` : `p. ${s.page_start}`;
}

/**
 * The level of a document's chapters: the first level with more than one section (a book whose
 * one top heading is its title has its chapters one level down).
 */
export function chapterLevel(contents: Pick<SectionEntry, 'level'>[]): number {
  const levels = [...new Set(contents.map((s) => s.level).filter((l) => l > 0))].sort((a, b) => a - b);
  return levels.find((l) => contents.filter((s) => s.level === l).length > 1) ?? levels[0] ?? 1;
}

/** Chapters (and text before them) can be discussed; their subsections are read in the reader. */
export function discussable(s: Pick<SectionEntry, 'level'>, level = 1): boolean {
  return s.level <= level;
}

/**
 * One attached document: a compact card (kind, title, chapters, pages, size) that expands to its
 * table of contents. A chapter opens in the reader; "Discuss" asks the council about it.
 */
export function DocumentCard({
  document: d,
  detail,
  imageUrl,
  onExpand,
  onOpen,
  onDiscuss,
  onRemove,
  canDiscuss,
}: {
  document: DocumentInfo;
  detail: DocumentDetail | undefined;
  imageUrl: string | null;
  onExpand: () => void;
  onOpen: (position: number) => void;
  onDiscuss: (section: SectionEntry) => void;
  onRemove: () => Promise<void>;
  canDiscuss: boolean;
}) {
  const [open, setOpen] = useState(false);
  const hasContents = d.kind !== 'image' && d.section_count > 0 && d.status !== 'processing';
  const toggle = () => {
    if (!open && !detail) onExpand();
    setOpen(!open);
  };
  const tocId = `toc-${d.id}`;
  const chapters = detail ? chapterLevel(detail.contents) : 1;
  return (
    <article className={`doc-card${open ? ' doc-card--open' : ''}`} aria-label={`Document: ${d.title || d.filename}`}>
      <div className="doc-card__head">
        {imageUrl ? (
          <img className="doc-card__thumb" src={imageUrl} alt="" />
        ) : (
          <span className={`doc-card__kind doc-card__kind--${d.kind}`} aria-hidden="true">
            {KIND_LABEL[d.kind] ?? d.kind.toUpperCase()}
          </span>
        )}
        <div className="doc-card__main">
          <span className="doc-card__title" title={d.filename}>
            {d.title || d.filename}
          </span>
          {d.status === 'processing' ? (
            <span className="doc-card__status doc-card__status--processing" role="status">
              Reading… (the council can be asked about it once it is ready)
            </span>
          ) : d.status === 'failed' ? (
            <span className="doc-card__status doc-card__status--failed" role="alert">
              Could not be read: {String((d.error as { message?: unknown } | null | undefined)?.message ?? 'no reason given')}
            </span>
          ) : (
            <span className="doc-card__facts muted">
              {d.title && d.title !== d.filename && d.title !== d.filename.replace(/\.[^.]+$/, '') ? `${d.filename} · ` : ''}
              {documentFacts(d)}
            </span>
          )}
        </div>
        <div className="doc-card__actions">
          {hasContents && (
            <button type="button" className="btn btn--small btn--ghost" aria-expanded={open} aria-controls={tocId} onClick={toggle}>
              {open ? 'Hide contents' : 'Contents'}
            </button>
          )}
          <ConfirmButton label="Remove" ariaLabel={`Remove ${d.filename}`} question="Remove it from the conversation?" confirmLabel="Remove" onConfirm={onRemove} />
        </div>
      </div>
      {open && hasContents && (
        <div id={tocId} className="doc-card__toc">
          {!detail ? (
            <p className="muted">Loading the table of contents…</p>
          ) : (
            <ol className="toc" aria-label={`Contents of ${d.title || d.filename}`}>
              {detail.contents.map((s) => (
                <li key={s.id} className={`toc__item toc__item--level${Math.min(s.level, 3)}`}>
                  <button type="button" className="toc__open" onClick={() => onOpen(s.position)} title="Read this section">
                    {s.level > 0 && <span className="toc__number">§{s.number}</span>}
                    <span className="toc__title">{s.title || '(untitled)'}</span>
                  </button>
                  {pagesOf(s) && <span className="toc__pages muted">{pagesOf(s)}</span>}
                  {discussable(s, chapters) && canDiscuss && (
                    <button
                      type="button"
                      className="btn btn--small toc__discuss"
                      aria-label={`Discuss ${s.level > 0 ? `§${s.number} ` : ''}${s.title}`}
                      title="Ask the council about this chapter (your question in the box, if any)"
                      onClick={() => onDiscuss(s)}
                    >
                      Discuss
                    </button>
                  )}
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
    </article>
  );
}
