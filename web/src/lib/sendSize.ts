/**
 * What the composer will send, in characters, against the server's limits: the message
 * (`limits.max_content_chars`: past it the server refuses the message) and the attached
 * documents (they go with every question; past the council's window
 * `documents.context_chars`, the most relevant whole sections are chosen, and each answer
 * says which it saw).
 */
import type { DocumentInfo } from '../api/types';

export interface SendLimits {
  messageChars: number;
  documentChars: number;
}

/** The server's defaults (config.py, documents/settings.py), used until it states its own. */
export const DEFAULT_LIMITS: SendLimits = { messageChars: 100_000, documentChars: 120_000 };

/** The limits from `/api/status` when the server states them, else the defaults. */
export function limitsFrom(status: unknown): SendLimits {
  const limits = (status as { limits?: { max_content_chars?: unknown; document_context_chars?: unknown } } | null)?.limits;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);
  return {
    messageChars: num(limits?.max_content_chars, DEFAULT_LIMITS.messageChars),
    documentChars: num(limits?.document_context_chars, DEFAULT_LIMITS.documentChars),
  };
}

export interface SendSize {
  messageChars: number;
  documentChars: number;
  documents: number;
  images: number;
  total: number;
  limits: SendLimits;
  /** The server would refuse the message. */
  tooLong: boolean;
  /** The documents are past the window: sections will be chosen by relevance. */
  documentsChosen: boolean;
}

/** Characters as the server counts them (code points, not UTF-16 units), of the trimmed text. */
export function charCount(text: string): number {
  return Array.from(text.trim()).length;
}

export function sendSize(message: string, documents: Pick<DocumentInfo, 'kind' | 'chars'>[], limits: SendLimits = DEFAULT_LIMITS): SendSize {
  const messageChars = charCount(message);
  const texts = documents.filter((d) => d.kind !== 'image');
  const documentChars = texts.reduce((sum, d) => sum + d.chars, 0);
  return {
    messageChars,
    documentChars,
    documents: texts.length,
    images: documents.length - texts.length,
    total: messageChars + documentChars,
    limits,
    tooLong: messageChars > limits.messageChars,
    documentsChosen: documentChars > limits.documentChars,
  };
}

const n = (x: number) => x.toLocaleString('en-US');

/** One line for the composer. */
export function describeSendSize(s: SendSize): string {
  const message = `Message ${n(s.messageChars)} / ${n(s.limits.messageChars)} characters`;
  if (s.documents === 0 && s.images === 0) return message;
  const parts = [message];
  if (s.documents > 0) {
    const docs = `${s.documents} document${s.documents === 1 ? '' : 's'} ${n(s.documentChars)}`;
    parts.push(s.documentsChosen ? `${docs} (over the ${n(s.limits.documentChars)} window: the most relevant sections go)` : `${docs} / ${n(s.limits.documentChars)}`);
  }
  if (s.images > 0) parts.push(`${s.images} image${s.images === 1 ? '' : 's'}`);
  return `${parts.join(' + ')} · ${n(s.total)} in all`;
}
