/**
 * The one typed client for the server's HTTP API (docs/API.md). Every view goes through it.
 * Errors become `ApiError` with the server's `{detail: {code, message}}` when it sent one.
 */
import type { CouncilEvent } from './events';
import { readCouncilStream, type StreamEnd } from './sse';
import type { Conversation, JsonBody, JsonResponse } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Reads FastAPI's error shapes: `{detail: {code, message}}`, `{detail: "text"}` or a 422 list. */
export function describeErrorBody(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
    const d = detail as { code?: unknown; message?: unknown };
    return new ApiError(status, String(d.code ?? status), String(d.message ?? `HTTP ${status}`));
  }
  if (typeof detail === 'string') return new ApiError(status, String(status), detail);
  if (Array.isArray(detail)) {
    const msgs = detail.map((d) => (d as { msg?: unknown }).msg).filter(Boolean);
    return new ApiError(status, 'validation_error', msgs.join('; ') || `HTTP ${status}`);
  }
  return new ApiError(status, String(status), `HTTP ${status}`);
}

async function failure(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: keep the status alone
  }
  return describeErrorBody(response.status, body);
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
  });
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const enc = encodeURIComponent;

export interface StreamHandle {
  /** Resolves when the stream ends, however it ends. */
  done: Promise<StreamEnd>;
  abort: () => void;
}

function openStream(
  path: string,
  init: RequestInit,
  onEvent: (event: CouncilEvent) => void,
): StreamHandle {
  const controller = new AbortController();
  const done = (async (): Promise<StreamEnd> => {
    let response: Response;
    try {
      response = await fetch(path, {
        ...init,
        signal: controller.signal,
        headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json', ...init.headers },
      });
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'aborted' };
      return { kind: 'dropped', reason: err instanceof Error ? err.message : String(err) };
    }
    if (!response.ok) throw await failure(response);
    if (!response.body) return { kind: 'dropped', reason: 'the response has no body' };
    return readCouncilStream(response.body, onEvent, controller.signal);
  })();
  return { done, abort: () => controller.abort() };
}

type Conversations = '/api/conversations';
type OneConversation = '/api/conversations/{conversation_id}';
type Cancel = '/api/conversations/{conversation_id}/runs/{run_id}/cancel';

/** The schema's conversation with its messages typed (see messages.ts). */
function withMessages(c: JsonResponse<OneConversation, 'get'>): Conversation {
  return c as unknown as Conversation;
}

export const api = {
  listConversations(q = ''): Promise<JsonResponse<Conversations, 'get'>> {
    const query = q.trim() ? `?q=${enc(q.trim())}` : '';
    return request(`/api/conversations${query}`);
  },
  async createConversation(body: JsonBody<Conversations, 'post'> = {}): Promise<Conversation> {
    const created: JsonResponse<Conversations, 'post'> = await request('/api/conversations', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    return withMessages(created);
  },
  async getConversation(id: string): Promise<Conversation> {
    return withMessages(await request<JsonResponse<OneConversation, 'get'>>(`/api/conversations/${enc(id)}`));
  },
  async updateConversation(id: string, body: JsonBody<OneConversation, 'patch'>): Promise<Conversation> {
    const updated: JsonResponse<OneConversation, 'patch'> = await request(`/api/conversations/${enc(id)}`, {
      method: 'PATCH',
      body: JSON.stringify(body),
    });
    return withMessages(updated);
  },
  deleteConversation(id: string): Promise<JsonResponse<OneConversation, 'delete'>> {
    return request(`/api/conversations/${enc(id)}`, { method: 'DELETE' });
  },
  exportUrl(id: string, format: 'md' | 'json' = 'md'): string {
    return `/api/conversations/${enc(id)}/export?format=${format}`;
  },
  models(): Promise<JsonResponse<'/api/models', 'get'>> {
    return request('/api/models');
  },
  status(): Promise<JsonResponse<'/api/status', 'get'>> {
    return request('/api/status');
  },
  cancelRun(conversationId: string, runId: string): Promise<JsonResponse<Cancel, 'post'>> {
    return request(`/api/conversations/${enc(conversationId)}/runs/${enc(runId)}/cancel`, { method: 'POST' });
  },
  /** Sends a message and streams the council's deliberation. */
  sendMessage(
    conversationId: string,
    content: string,
    onEvent: (event: CouncilEvent) => void,
    idempotencyKey: string = newIdempotencyKey(),
  ): StreamHandle {
    const body: JsonBody<'/api/conversations/{conversation_id}/message/stream', 'post'> = { content };
    return openStream(
      `/api/conversations/${enc(conversationId)}/message/stream`,
      { method: 'POST', body: JSON.stringify(body), headers: { 'Idempotency-Key': idempotencyKey } },
      onEvent,
    );
  },
  /** Resumes a run after its last completed stage. */
  retryRun(conversationId: string, runId: string, onEvent: (event: CouncilEvent) => void): StreamHandle {
    const path: keyof import('./schema').paths = '/api/conversations/{conversation_id}/runs/{run_id}/retry';
    void path;
    return openStream(`/api/conversations/${enc(conversationId)}/runs/${enc(runId)}/retry`, { method: 'POST' }, onEvent);
  },
};

export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
