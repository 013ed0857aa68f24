/**
 * Citations in answers, `[§3.2, p. 41]` or `[D2 §3]` (the server asks the models to cite so),
 * turned into links that open the reader at the cited section. The pattern is the server's
 * (llmcouncil/documents/citations.py); which section a citation names comes from the run's
 * record (`GET …/runs/{id}/documents`), so the UI never guesses.
 */

const CITATION = /\[(?:D(\d{1,3})\s*)?§\s*(\d{1,3}(?:\.\d{1,3}){0,5})(?:[^\]\n,]{0,120}?)?(?:,\s*pp?\.\s*(\d{1,5})(?:\s*[–-]\s*(\d{1,5}))?)?\s*\]/g;
// Code is left as written: fenced blocks and inline code spans.
const CODE = /(```[\s\S]*?(?:```|$)|`[^`\n]*`)/;
// An existing Markdown link's text or target: "[§3](…)" is already a link.
const ALREADY_LINKED = /^\(/;

export const CITE_PREFIX = '#cite:';

export interface FoundCitation {
  text: string;
  number: string;
  page: number | null;
  tag: number | null;
}

export interface CitationTarget {
  documentId: string;
  position: number;
}

export function findCitations(text: string): FoundCitation[] {
  return [...text.matchAll(CITATION)].map((m) => ({
    text: m[0],
    number: m[2]!,
    page: m[3] ? Number(m[3]) : null,
    tag: m[1] ? Number(m[1]) : null,
  }));
}

export function citeHref(target: CitationTarget): string {
  return `${CITE_PREFIX}${encodeURIComponent(target.documentId)}:${target.position}`;
}

/** The section a `#cite:` link opens, or null for any other link. */
export function citeTarget(href: string | undefined): CitationTarget | null {
  if (!href?.startsWith(CITE_PREFIX)) return null;
  const rest = href.slice(CITE_PREFIX.length);
  const colon = rest.lastIndexOf(':');
  const position = Number(rest.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(position) || position < 0) return null;
  try {
    return { documentId: decodeURIComponent(rest.slice(0, colon)), position };
  } catch {
    return null;
  }
}

function escapeLinkText(s: string): string {
  return s.replace(/([\\[\]])/g, '\\$1');
}

/**
 * The text with each citation `resolve` knows written as a Markdown link to its section;
 * citations it does not know, and anything in code, stay as written.
 */
export function linkCitations(text: string, resolve: (c: FoundCitation) => CitationTarget | null): string {
  if (!text || !text.includes('§')) return text;
  return text
    .split(CODE)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      return part.replace(CITATION, (whole: string, tag: string | undefined, number: string, page: string | undefined, _end: string | undefined, offset: number) => {
        if (ALREADY_LINKED.test(part.slice(offset + whole.length))) return whole;
        const target = resolve({ text: whole, number, page: page ? Number(page) : null, tag: tag ? Number(tag) : null });
        return target ? `[${escapeLinkText(whole)}](${citeHref(target)})` : whole;
      });
    })
    .join('');
}

/** A run's linked citations (from the server), looked up by the text as written. */
export function resolverFor(
  citations: { text: string; document_id?: string | null; position?: number | null }[],
): (c: FoundCitation) => CitationTarget | null {
  const byText = new Map<string, CitationTarget>();
  for (const c of citations) {
    if (c.document_id && c.position !== null && c.position !== undefined) byText.set(c.text, { documentId: c.document_id, position: c.position });
  }
  return (c) => byText.get(c.text) ?? null;
}
