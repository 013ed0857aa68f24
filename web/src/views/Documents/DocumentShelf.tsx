import { documentsApi } from '../../api/documents';
import type { DocumentDetail, DocumentInfo, SectionEntry } from '../../api/types';
import type { CitationTarget } from '../../lib/citations';
import { DocumentCard } from './DocumentCard';

/** The conversation's documents, pinned above its turns: every question carries them. */
export function DocumentShelf({
  conversationId,
  documents,
  details,
  error,
  onExpand,
  onOpen,
  onDiscuss,
  onRemove,
  onDismissError,
  canDiscuss,
}: {
  conversationId: string;
  documents: DocumentInfo[];
  details: Record<string, DocumentDetail>;
  error: string | null;
  onExpand: (documentId: string) => void;
  onOpen: (target: CitationTarget) => void;
  onDiscuss: (documentId: string, section: SectionEntry) => void;
  onRemove: (documentId: string) => Promise<void>;
  onDismissError: () => void;
  canDiscuss: boolean;
}) {
  if (documents.length === 0 && !error) return null;
  return (
    <section className="doc-shelf" aria-label="Documents">
      {documents.length > 0 && (
        <p className="doc-shelf__note muted">
          {documents.length === 1 ? 'This document goes' : `These ${documents.length} documents go`} with every question; each answer says what it saw.
        </p>
      )}
      {error && (
        <div className="notice notice--error doc-shelf__error" role="alert">
          {error}
          <button type="button" className="btn btn--small btn--ghost" aria-label="Dismiss" onClick={onDismissError}>
            ✕
          </button>
        </div>
      )}
      {documents.map((d) => (
        <DocumentCard
          key={d.id}
          document={d}
          detail={details[d.id]}
          imageUrl={d.kind === 'image' ? documentsApi.imageUrl(conversationId, d.id) : null}
          onExpand={() => onExpand(d.id)}
          onOpen={(position) => onOpen({ documentId: d.id, position })}
          onDiscuss={(section) => onDiscuss(d.id, section)}
          onRemove={() => onRemove(d.id)}
          canDiscuss={canDiscuss}
        />
      ))}
    </section>
  );
}

/** The question "Discuss" asks when the box is empty. */
export function discussQuestion(section: Pick<SectionEntry, 'number' | 'title' | 'level'>): string {
  const name = section.level > 0 ? `${section.level === 1 ? 'chapter' : 'section'} ${section.number}${section.title ? `, “${section.title}”` : ''}` : `“${section.title || 'the opening'}”`;
  return `Let us discuss ${name}: its main points, how it builds on what came before, and what in it is open to question.`;
}
