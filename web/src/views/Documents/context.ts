/**
 * How deep views reach the documents without threading props through every stage: the reader
 * (open a section, discuss a chapter) from the workspace, and the citations of one answer.
 */
import { createContext, useContext } from 'react';
import type { DocumentInfo } from '../../api/types';
import type { CitationTarget, FoundCitation } from '../../lib/citations';

export interface ReaderActions {
  conversationId: string;
  documents: DocumentInfo[];
  /** Opens the reader panel at a section. */
  open: (target: CitationTarget) => void;
}

export const ReaderContext = createContext<ReaderActions | null>(null);

export function useReader(): ReaderActions | null {
  return useContext(ReaderContext);
}

export interface CitationLinks {
  resolve: (c: FoundCitation) => CitationTarget | null;
  open: (target: CitationTarget) => void;
}

/** Set around one answer once the run's citations are known; Markdown links them. */
export const CitationContext = createContext<CitationLinks | null>(null);
