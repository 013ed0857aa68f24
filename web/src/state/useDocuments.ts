/**
 * The documents of the conversation shown now: its list, files being uploaded (with progress
 * and the server's refusals), tables of contents fetched on demand, and the section open in the
 * reader. A conversation that does not exist yet is created by the first attach; when every
 * file of that first attach is refused, it is deleted again (`onAbandon`), as a refused first
 * message is.
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { documentsApi } from '../api/documents';
import type { DocumentDetail, DocumentInfo } from '../api/types';
import type { CitationTarget } from '../lib/citations';
import { uploadErrorText, uploadsReducer } from '../lib/uploads';

export interface DocumentCallbacks {
  /** The conversation to attach to, created now when there is none; null when that failed. */
  ensureConversation: () => Promise<{ id: string; fresh: boolean } | null>;
  /** A conversation created for an attach that stored nothing: delete it. */
  onAbandon: (conversationId: string) => void;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

let uploadSerial = 0;
/** How often a document being read in the background is looked up again. */
export const PROCESSING_POLL_MS = 1000;

export function useDocuments(conversationId: string | null, callbacks: DocumentCallbacks) {
  const [documents, setDocuments] = useState<DocumentInfo[]>([]);
  const [details, setDetails] = useState<Record<string, DocumentDetail>>({});
  const [error, setError] = useState<string | null>(null);
  const [uploads, dispatch] = useReducer(uploadsReducer, []);
  const [reader, setReader] = useState<CitationTarget | null>(null);
  const current = useRef(conversationId);
  current.current = conversationId;
  const cb = useRef(callbacks);
  cb.current = callbacks;

  const refresh = useCallback(async (id: string) => {
    try {
      const list = await documentsApi.list(id);
      if (current.current === id) {
        setDocuments(list);
        setError(null);
      }
    } catch (err) {
      // A conversation being created, or just deleted: nothing to show.
      if (current.current === id && !(err instanceof ApiError && err.status === 404)) setError(`Could not load the documents: ${message(err)}`);
    }
  }, []);

  useEffect(() => {
    setDocuments([]);
    setDetails({});
    setReader(null);
    setError(null);
    if (conversationId) void refresh(conversationId);
  }, [conversationId, refresh]);

  // A document still being read by the server's background job: look again until it is not.
  const reading = documents.some((d) => d.status === 'processing');
  useEffect(() => {
    if (!reading || !conversationId) return;
    const timer = window.setTimeout(() => void refresh(conversationId), PROCESSING_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [reading, documents, conversationId, refresh]);

  const detail = useCallback(async (documentId: string): Promise<DocumentDetail | null> => {
    const id = current.current;
    if (!id) return null;
    try {
      const d = await documentsApi.get(id, documentId);
      if (current.current === id) setDetails((all) => ({ ...all, [documentId]: d }));
      return d;
    } catch (err) {
      setError(`Could not open the table of contents: ${message(err)}`);
      return null;
    }
  }, []);

  const attach = useCallback(
    async (files: File[]) => {
      if (files.length === 0) return;
      const keys = files.map((f) => {
        const key = `upload-${++uploadSerial}`;
        dispatch({ type: 'start', key, name: f.name, size: f.size });
        return key;
      });
      const target = await cb.current.ensureConversation();
      if (!target) {
        keys.forEach((key) => dispatch({ type: 'failed', key, error: 'No conversation could be started for it.' }));
        return;
      }
      let stored = 0;
      for (const [i, file] of files.entries()) {
        const key = keys[i]!;
        try {
          const handle = documentsApi.upload(target.id, file, ({ loaded, total }) => dispatch({ type: 'progress', key, loaded, total }));
          const document = await handle.done;
          stored += 1;
          dispatch({ type: 'stored', key });
          if (current.current === target.id) setDocuments((list) => [...list.filter((d) => d.id !== document.id), document]);
        } catch (err) {
          const text = err instanceof ApiError ? uploadErrorText(file.name, err) : `“${file.name}” was not attached: ${message(err)}`;
          dispatch({ type: 'failed', key, error: text });
        }
      }
      if (stored === 0 && target.fresh) cb.current.onAbandon(target.id);
      else void refresh(target.id);
    },
    [refresh],
  );

  const remove = useCallback(async (documentId: string) => {
    const id = current.current;
    if (!id) return;
    try {
      await documentsApi.remove(id, documentId);
      setDocuments((list) => list.filter((d) => d.id !== documentId));
      setReader((r) => (r?.documentId === documentId ? null : r));
    } catch (err) {
      setError(`Could not remove the document: ${message(err)}`);
    }
  }, []);

  const closeReader = useCallback(() => setReader(null), []);
  const dismissUpload = useCallback((key: string) => dispatch({ type: 'dismiss', key }), []);
  const clearError = useCallback(() => setError(null), []);

  return {
    documents,
    details,
    uploads,
    error,
    reader,
    openReader: setReader,
    closeReader,
    dismissUpload,
    clearError,
    attach,
    remove,
    detail,
    refresh,
  };
}
