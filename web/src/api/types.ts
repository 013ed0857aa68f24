/**
 * Named types for what the UI uses. The only file that knows the OpenAPI schema's component
 * names (generated into `schema.d.ts` by `npm run gen:api`): when the schema renames something,
 * this file stops compiling, and is the one place to fix.
 */
import type { Message } from './messages';
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type ConversationSummary = Schemas['ConversationSummaryPublic'];
export type ConversationCreate = Schemas['ConversationCreate'];
export type ConversationUpdate = Schemas['ConversationUpdate'];
export type MessageCreate = Schemas['MessageCreate'];
export type ModelsInfo = Schemas['ModelsPublic'];
export type PresetInfo = Schemas['PresetPublic'];
export type StatusInfo = Schemas['StatusPublic'];
export type CancelResult = Schemas['CancelResult'];
export type ErrorBody = Schemas['ErrorBody'];

/** The schema's conversation, with its messages typed (the schema leaves them free-form). */
export type Conversation = Omit<Schemas['ConversationPublic'], 'messages'> & { messages: Message[] };

export type {
  AggregateEntry,
  Agreement,
  AssistantMessage,
  Message,
  ModelFailure,
  RunError,
  RunMetadata,
  RunStatus,
  Stage1Result,
  Stage2Result,
  Stage3Result,
  Usage,
  UserMessage,
} from './messages';

// ---- the client's endpoints, checked against the schema's paths ----

type Method = 'get' | 'post' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON a successful call answers with, as the schema declares it. */
export type JsonResponse<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: { content: { 'application/json': infer T } } }
      ? T
      : R extends { 202: { content: { 'application/json': infer T } } }
        ? T
        : R extends { 204: unknown }
          ? void
          : never
    : never;

/** The JSON body a call takes, as the schema declares it. */
export type JsonBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
