/**
 * Files being attached: one entry per file from the moment it is chosen until the server has
 * stored it (then the document's card takes over) or refused it (then the reason stays shown
 * until dismissed). A pure reducer, so the progress logic is tested without a browser.
 */
import type { ApiError } from '../api/client';

export type UploadStatus = 'uploading' | 'processing' | 'failed';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  loaded: number;
  status: UploadStatus;
  error: string | null;
}

export type UploadAction =
  | { type: 'start'; key: string; name: string; size: number }
  | { type: 'progress'; key: string; loaded: number; total: number }
  | { type: 'stored'; key: string }
  | { type: 'failed'; key: string; error: string }
  | { type: 'dismiss'; key: string };

export function uploadsReducer(items: UploadItem[], action: UploadAction): UploadItem[] {
  switch (action.type) {
    case 'start':
      return [...items.filter((i) => i.key !== action.key), { key: action.key, name: action.name, size: action.size, loaded: 0, status: 'uploading', error: null }];
    case 'progress':
      return items.map((i) => {
        if (i.key !== action.key || i.status !== 'uploading') return i;
        const size = action.total > 0 ? action.total : i.size;
        const loaded = Math.min(Math.max(action.loaded, i.loaded), size);
        // Every byte sent: the server is reading the file now (extraction, privacy scan).
        return { ...i, size, loaded, status: loaded >= size ? 'processing' : 'uploading' };
      });
    case 'stored':
      return items.filter((i) => i.key !== action.key);
    case 'failed':
      return items.map((i) => (i.key === action.key ? { ...i, status: 'failed', error: action.error } : i));
    case 'dismiss':
      return items.filter((i) => i.key !== action.key);
  }
}

/** Whole percent sent, 0–100. */
export function percentSent(item: UploadItem): number {
  if (item.size <= 0) return item.status === 'uploading' ? 0 : 100;
  return Math.min(100, Math.floor((item.loaded / item.size) * 100));
}

const SUPPORTED = 'PDF, EPUB, DOCX, HTML, Markdown, plain text, or a PNG, JPEG or WebP image';

/** The server's refusal in words a reader acts on, naming the file. */
export function uploadErrorText(name: string, err: Pick<ApiError, 'status' | 'message'>): string {
  const reason = err.message.replace(/\.$/, '');
  switch (err.status) {
    case 413:
      return `“${name}” is too large: ${reason}.`;
    case 415:
      return `“${name}” is not a file the council reads (${SUPPORTED}): ${reason}.`;
    case 422:
      return `“${name}” cannot be read: ${reason}.`;
    case 409:
      return `“${name}” was not attached: ${reason}.`;
    default:
      return `“${name}” was not attached: ${reason}.`;
  }
}

/** "81.2 KB", "3.4 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
