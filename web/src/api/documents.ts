/**
 * A conversation's documents (docs/API.md: "Documents, books and images"): upload with progress,
 * the list, a table of contents, one section's text, what a run was shown, and reading mode.
 * Uploads use XMLHttpRequest because fetch reports no upload progress.
 */
import { ApiError, csrfToken, describeErrorBody, noticeUnauthorized, request, withCsrf } from './client';
import type { DocumentDetail, DocumentInfo, RunDocuments, SectionText } from './types';

const enc = encodeURIComponent;

function base(conversationId: string): string {
  return `/api/conversations/${enc(conversationId)}`;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadHandle {
  /** The stored document (`duplicate: true` when the same file was already attached). */
  done: Promise<DocumentInfo>;
  abort: () => void;
}

/** Parses an XHR's answer: the document, or an `ApiError` with the server's message. */
export function uploadResult(status: number, text: string): DocumentInfo {
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (a proxy's error page): keep the status alone
  }
  if (status >= 200 && status < 300 && body) return body as DocumentInfo;
  if (status === 413 && !(body as { detail?: unknown } | null)?.detail) {
    throw new ApiError(413, 'content_too_large', 'The file is too large for the server.');
  }
  throw describeErrorBody(status, body);
}

export const documentsApi = {
  list(conversationId: string): Promise<DocumentInfo[]> {
    return request(`${base(conversationId)}/documents`);
  },
  get(conversationId: string, documentId: string): Promise<DocumentDetail> {
    return request(`${base(conversationId)}/documents/${enc(documentId)}`);
  },
  section(conversationId: string, documentId: string, position: number): Promise<SectionText> {
    return request(`${base(conversationId)}/documents/${enc(documentId)}/sections/${position}`);
  },
  remove(conversationId: string, documentId: string): Promise<void> {
    return request(`${base(conversationId)}/documents/${enc(documentId)}`, { method: 'DELETE' });
  },
  imageUrl(conversationId: string, documentId: string): string {
    return `${base(conversationId)}/documents/${enc(documentId)}/content`;
  },
  /** What the run was shown; null when it was shown no documents and dropped no turns (404). */
  async forRun(conversationId: string, runId: string): Promise<RunDocuments | null> {
    try {
      return await request<RunDocuments>(`${base(conversationId)}/runs/${enc(runId)}/documents`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  },
  /** Reading mode: the council discusses one chapter. Answers when the run has ended. */
  discuss(conversationId: string, documentId: string, position: number, content: string): Promise<unknown> {
    return request(`${base(conversationId)}/documents/${enc(documentId)}/sections/${position}/discuss`, {
      method: 'POST',
      body: JSON.stringify({ content }),
    });
  },
  /** Multipart upload (field `file`), reporting progress as the bytes go out. */
  upload(conversationId: string, file: File, onProgress: (p: UploadProgress) => void): UploadHandle {
    const xhr = new XMLHttpRequest();
    const path = `${base(conversationId)}/documents`;
    const done = new Promise<DocumentInfo>((resolve, reject) => {
      xhr.open('POST', path);
      // Read by a background job on the server: 202 `processing`, then polled until ready.
      const headers = withCsrf('POST', { Accept: 'application/json', Prefer: 'respond-async' }, csrfToken());
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
      xhr.onload = () => {
        noticeUnauthorized(path, xhr.status);
        try {
          resolve(uploadResult(xhr.status, xhr.responseText));
        } catch (err) {
          reject(err);
        }
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the server could not be reached.'));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
    return { done, abort: () => xhr.abort() };
  },
};
