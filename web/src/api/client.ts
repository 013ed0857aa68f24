/**
 * The one typed client for the server's HTTP API (docs/API.md). Every view goes through it.
 * Errors become `ApiError` with the server's `{detail: {code, message}}` when it sent one.
 */
import type { CouncilEvent } from './events';
import { readCouncilStream, type StreamEnd } from './sse';
import type {
  ApiKey,
  ApiKeyCreated,
  AuditPage,
  AuthConfig,
  Budget,
  ChainReport,
  Conversation,
  ConversationSource,
  JsonBody,
  JsonResponse,
  Me,
  SignedIn,
  UsageGroup,
  UsageReport,
  User,
} from './types';

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

// ---- CSRF: the session cookie's token, repeated on every state-changing request ----

/** The readable cookie the server sets at sign-in next to the HttpOnly session cookie. */
export const CSRF_COOKIE = 'council_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token from the last sign-in or `GET /api/auth/me`: used when the cookie cannot be read. */
let rememberedCsrf: string | null = null;

export function rememberCsrfToken(token: string | null | undefined): void {
  rememberedCsrf = token ?? null;
}

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

/**
 * The CSRF token to send now. The cookie comes first: it follows a sign-in made in another tab,
 * which a token kept in memory would not.
 */
export function csrfToken(): string | null {
  const cookies = typeof document !== 'undefined' ? document.cookie : '';
  return readCookie(cookies, CSRF_COOKIE) || rememberedCsrf;
}

/** The headers with `X-CSRF-Token` added when the method changes state and a token exists. */
export function withCsrf(method: string | undefined, headers: Record<string, string>, token: string | null): Record<string, string> {
  if (SAFE_METHODS.has((method ?? 'GET').toUpperCase()) || !token) return headers;
  return { ...headers, [CSRF_HEADER]: token };
}

// ---- signed out while using the app ----

let onUnauthorized: (() => void) | null = null;

/**
 * Called when a request outside `/api/auth/*` answers 401: the session expired or was ended
 * (logout elsewhere, password reset, deactivation). The app then shows the sign-in page.
 */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export function noticeUnauthorized(path: string, status: number): void {
  if (status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
}

function headersOf(init: RequestInit, base: Record<string, string>): Record<string, string> {
  return withCsrf(init.method, { ...base, ...(init.headers as Record<string, string> | undefined) }, csrfToken());
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: headersOf(init, { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}) }),
  });
  if (!response.ok) {
    noticeUnauthorized(path, response.status);
    throw await failure(response);
  }
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
        headers: headersOf(init, { Accept: 'text/event-stream', 'Content-Type': 'application/json' }),
      });
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'aborted' };
      return { kind: 'dropped', reason: err instanceof Error ? err.message : String(err) };
    }
    if (!response.ok) {
      noticeUnauthorized(path, response.status);
      throw await failure(response);
    }
    if (!response.body) return { kind: 'dropped', reason: 'the response has no body' };
    return readCouncilStream(response.body, onEvent, controller.signal);
  })();
  return { done, abort: () => controller.abort() };
}

type Conversations = '/api/conversations';
type OneConversation = '/api/conversations/{conversation_id}';
type Cancel = '/api/conversations/{conversation_id}/runs/{run_id}/cancel';

type Users = '/api/users';
type OneUser = '/api/users/{user_id}';
type Keys = '/api/keys';
type Budgets = '/api/budgets';

/** Filters of the audit log (`GET /api/audit`, and its export). */
export interface AuditFilters {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: string;
  since?: string;
  until?: string;
}

/** `?a=1&b=2` of the parameters that have a value, or '' when none has. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '' && v !== false)
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

/** The schema's conversation with its messages typed (types.ts: `Message`). */
function withMessages(c: JsonResponse<OneConversation, 'get'>): Conversation {
  return c as unknown as Conversation;
}

type MessageBody = JsonBody<'/api/conversations/{conversation_id}/message/stream', 'post'>;

export const api = {
  // ---- sign-in and the caller's own account ----
  authConfig(): Promise<AuthConfig> {
    return request<JsonResponse<'/api/auth/config', 'get'>>('/api/auth/config') as Promise<AuthConfig>;
  },
  async me(): Promise<Me> {
    const me = (await request<JsonResponse<'/api/auth/me', 'get'>>('/api/auth/me')) as Me;
    if (me.csrf_token) rememberCsrfToken(me.csrf_token);
    return me;
  },
  async login(body: JsonBody<'/api/auth/login', 'post'>): Promise<SignedIn> {
    const session = (await request<JsonResponse<'/api/auth/login', 'post'>>('/api/auth/login', json('POST', body))) as SignedIn;
    rememberCsrfToken(session.csrf_token);
    return session;
  },
  async setup(body: JsonBody<'/api/auth/setup', 'post'>): Promise<SignedIn> {
    const session = (await request<JsonResponse<'/api/auth/setup', 'post'>>('/api/auth/setup', json('POST', body))) as SignedIn;
    rememberCsrfToken(session.csrf_token);
    return session;
  },
  async logout(): Promise<void> {
    try {
      await request<JsonResponse<'/api/auth/logout', 'post'>>('/api/auth/logout', { method: 'POST' });
    } finally {
      rememberCsrfToken(null);
    }
  },
  changePassword(body: JsonBody<'/api/auth/password', 'post'>): Promise<void> {
    return request<JsonResponse<'/api/auth/password', 'post'>>('/api/auth/password', json('POST', body));
  },
  /** Where the single sign-on button goes; `next` is the path to come back to. */
  oidcLoginUrl(next: string): string {
    const path: keyof import('./schema').paths = '/api/auth/oidc/login';
    return `${path}${queryString({ next })}`;
  },

  // ---- accounts (administrators) ----
  listUsers(): Promise<User[]> {
    return request<JsonResponse<Users, 'get'>>('/api/users') as Promise<User[]>;
  },
  createUser(body: JsonBody<Users, 'post'>): Promise<User> {
    return request<JsonResponse<Users, 'post'>>('/api/users', json('POST', body)) as Promise<User>;
  },
  updateUser(id: string, body: JsonBody<OneUser, 'patch'>): Promise<User> {
    return request<JsonResponse<OneUser, 'patch'>>(`/api/users/${enc(id)}`, json('PATCH', body)) as Promise<User>;
  },

  // ---- API keys: one's own, or (administrators) a user's or everyone's ----
  listKeys(options: { userId?: string; everyone?: boolean } = {}): Promise<ApiKey[]> {
    return request<JsonResponse<Keys, 'get'>>(`/api/keys${queryString({ user_id: options.userId, everyone: options.everyone })}`);
  },
  createKey(body: JsonBody<Keys, 'post'>): Promise<ApiKeyCreated> {
    return request<JsonResponse<Keys, 'post'>>('/api/keys', json('POST', body));
  },
  revokeKey(id: string): Promise<void> {
    return request<JsonResponse<'/api/keys/{key_id}', 'delete'>>(`/api/keys/${enc(id)}`, { method: 'DELETE' });
  },

  // ---- usage and budgets ----
  usage(params: { groupBy: UsageGroup; since?: string; until?: string; userId?: string; keyId?: string }): Promise<UsageReport> {
    const query = queryString({ group_by: params.groupBy, since: params.since, until: params.until, user_id: params.userId, key_id: params.keyId });
    return request<JsonResponse<'/api/usage', 'get'>>(`/api/usage${query}`);
  },
  myBudgets(): Promise<Budget[]> {
    return request<JsonResponse<'/api/usage/budgets', 'get'>>('/api/usage/budgets');
  },
  listBudgets(): Promise<Budget[]> {
    return request<JsonResponse<Budgets, 'get'>>('/api/budgets');
  },
  setBudget(body: JsonBody<Budgets, 'put'>): Promise<Budget> {
    return request<JsonResponse<Budgets, 'put'>>('/api/budgets', json('PUT', body));
  },
  deleteBudget(id: string): Promise<void> {
    return request<JsonResponse<'/api/budgets/{budget_id}', 'delete'>>(`/api/budgets/${enc(id)}`, { method: 'DELETE' });
  },

  // ---- the audit log ----
  audit(filters: AuditFilters, page: { beforeSeq?: number | null; limit?: number } = {}): Promise<AuditPage> {
    const query = queryString({ ...filters, before_seq: page.beforeSeq ?? undefined, limit: page.limit });
    return request<JsonResponse<'/api/audit', 'get'>>(`/api/audit${query}`);
  },
  /** A plain link: the browser downloads it with the session cookie (a GET needs no token). */
  auditExportUrl(filters: AuditFilters): string {
    const path: keyof import('./schema').paths = '/api/audit/export';
    return `${path}${queryString({ ...filters })}`;
  },
  verifyAudit(anchor?: string): Promise<ChainReport> {
    return request<JsonResponse<'/api/audit/verify', 'get'>>(`/api/audit/verify${queryString({ anchor })}`) as Promise<ChainReport>;
  },

  // ---- conversations ----
  /** `sources`: only conversations started from these (none given: every source). */
  listConversations(q = '', sources: readonly ConversationSource[] = []): Promise<JsonResponse<Conversations, 'get'>> {
    const parts = [q.trim() ? `q=${enc(q.trim())}` : '', ...sources.map((s) => `source=${enc(s)}`)].filter(Boolean);
    return request(`/api/conversations${parts.length ? `?${parts.join('&')}` : ''}`);
  },
  /** A conversation started here is marked `web`, so people's lists can tell it from tools' traffic. */
  async createConversation(body: Omit<JsonBody<Conversations, 'post'>, 'source'> = {}): Promise<Conversation> {
    const created: JsonResponse<Conversations, 'post'> = await request('/api/conversations', {
      method: 'POST',
      body: JSON.stringify({ ...body, source: 'web' }),
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
  /** Presets and the providers' model catalogue the caller may use; `q` searches the catalogue. */
  models(q = ''): Promise<JsonResponse<'/api/models', 'get'>> {
    return request(`/api/models${q.trim() ? `?q=${enc(q.trim())}` : ''}`);
  },
  // ---- saved presets ----
  savedPresets(): Promise<JsonResponse<'/api/presets', 'get'>> {
    return request('/api/presets');
  },
  /** Saves under `name` (replacing the caller's preset of that name; `shared`: admins only). */
  savePreset(body: JsonBody<'/api/presets', 'post'>): Promise<JsonResponse<'/api/presets', 'post'>> {
    return request('/api/presets', { method: 'POST', body: JSON.stringify(body) });
  },
  deletePreset(id: string): Promise<void> {
    return request(`/api/presets/${enc(id)}`, { method: 'DELETE' });
  },
  status(): Promise<JsonResponse<'/api/status', 'get'>> {
    return request('/api/status');
  },
  /** Asks the same model to finish an answer its output limit cut (stage 1 or 3). */
  continueAnswer(
    conversationId: string,
    runId: string,
    body: JsonBody<'/api/conversations/{conversation_id}/runs/{run_id}/continue', 'post'>,
  ): Promise<JsonResponse<'/api/conversations/{conversation_id}/runs/{run_id}/continue', 'post'>> {
    return request(`/api/conversations/${enc(conversationId)}/runs/${enc(runId)}/continue`, json('POST', body));
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
    options: { mode?: MessageBody['mode']; rounds?: number | null } = {},
  ): StreamHandle {
    const body: MessageBody = { content, ...(options.mode ? { mode: options.mode } : {}), ...(options.rounds ? { rounds: options.rounds } : {}) };
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
