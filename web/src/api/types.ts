/**
 * Named types for what the UI uses. The only file that knows the OpenAPI schema's component
 * names (generated into `schema.d.ts` by `npm run gen:api`): when the schema renames something,
 * this file stops compiling, and is the one place to fix.
 */
import type { components, paths } from './schema';

type Schemas = components['schemas'];

/** `source` (where it was started) is absent from servers older than it. */
export type ConversationSummary = Omit<Schemas['ConversationSummaryPublic'], 'source'> & { source?: ConversationSource };
export type ConversationSource = 'web' | 'api' | 'cli' | 'v1' | 'mcp' | 'eval' | 'batch';
/** What the sidebar lists unless asked for everything: what people started, not tools' calls. */
export const PEOPLE_SOURCES: readonly ConversationSource[] = ['web', 'api', 'cli'];
export type ConversationCreate = Schemas['ConversationCreate'];
export type ConversationUpdate = Schemas['ConversationUpdate'];
export type MessageCreate = Schemas['MessageCreate'];
export type ModelsInfo = Schemas['ModelsPublic'];
export type PresetInfo = Schemas['PresetPublic'];
export type CatalogueModel = Schemas['CatalogueModelPublic'];
export type RetiredModel = Schemas['RetiredModelPublic'];
export type SavedPreset = Schemas['SavedPresetPublic'];
export type SavedPresetCreate = Schemas['SavedPresetCreate'];
export type StatusInfo = Schemas['StatusPublic'];
export type CancelResult = Schemas['CancelResult'];
export type ErrorBody = Schemas['ErrorBody'];

// ---- accounts, keys, usage, budgets, audit (docs/SECURITY.md) ----

export type Role = NonNullable<Schemas['UserUpdate']['role']>;
export type User = Omit<Schemas['UserPublic'], 'role'> & { role: Role };
export type UserCreate = Schemas['UserCreate'];
export type UserUpdate = Schemas['UserUpdate'];
/** `oidc` is a free-form object in the schema; the server sends `{enabled, label}` or null. */
export type AuthConfig = Omit<Schemas['AuthConfigPublic'], 'oidc' | 'mode'> & {
  mode: 'local' | 'users';
  oidc: { enabled: boolean; label: string } | null;
};
/** The schema declares `user` as a free-form object; it is the same `UserPublic` as elsewhere. */
export type Me = Omit<Schemas['MePublic'], 'user' | 'mode' | 'kind' | 'role'> & {
  mode: 'local' | 'users';
  kind: 'local' | 'session' | 'api_key';
  role: Role;
  user: User | null;
};
export type SignedIn = Omit<Schemas['SessionPublic'], 'user'> & { user: User };
export type LoginRequest = Schemas['LoginRequest'];
export type SetupRequest = Schemas['SetupRequest'];
export type PasswordChange = Schemas['PasswordChange'];
export type ApiKey = Schemas['KeyPublic'];
export type ApiKeyCreate = Schemas['KeyCreate'];
export type ApiKeyCreated = Schemas['KeyCreated'];
export type UsageReport = Schemas['UsagePublic'];
export type UsageRow = Schemas['UsageRow'];
export type UsageGroup = 'user' | 'key' | 'model' | 'run';
export type Budget = Schemas['BudgetPublic'];
export type BudgetSet = Schemas['BudgetSet'];
export type AuditPage = Schemas['AuditPage'];
export type AuditRecord = Schemas['AuditRecordPublic'];
export type ChainProblem = Schemas['ChainProblemPublic'];
/** `head` is a free-form object in the schema; the server sends `{seq, hash}`. */
export type ChainReport = Omit<Schemas['ChainReportPublic'], 'head'> & { head: { seq: number; hash: string } };

/** The schema's conversation, its messages typed as below (with the fields the schema leaves open). */
export type Conversation = Omit<Schemas['ConversationPublic'], 'messages'> & { messages: Message[] };

// ---- messages and run results ----
// The schema's models without their open "any other field" index signatures, so a misspelt field
// does not compile; what the schema leaves free-form is written here: a run's `error`, its
// `council`, and the marks of a turn an API client supplied (`seeded`).

/** The declared fields of a schema model, without `[key: string]: unknown`. */
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

export type Usage = Known<Schemas['CallUsagePublic']>;
export type Stage1Result = Known<Schemas['Stage1Answer']>;
/** A review; the judgement fields (issue 14) are absent in runs stored before them. */
export type Stage2Result = Omit<Known<Schemas['Stage2Review']>, 'vote' | 'repair'> & {
  parsed_tiers?: string[][];
  parse_reason?: string | null;
  parse_conflict?: string | null;
  /** Null until the reviews are aggregated. */
  vote?: Vote | null;
  /** The one reminder a reviewer gets when its ranking cannot be read. */
  repair?: { asked: boolean; reply: string; status: string } | null;
  reasoning?: string | null;
};
export type Stage3Result = Known<Schemas['Stage3Final']> & {
  /** An earlier turn an API client supplied (`/v1` messages array): no model wrote it here. */
  seeded?: boolean;
};
export type AggregateRanking = Known<Schemas['OriginalAggregateRow']>;
/** A leaderboard row; `strength`, `ci_low`, `ci_high` (Bradley–Terry) are absent in older runs. */
export type AggregateEntry = Known<Schemas['AggregateRowPublic']> & {
  strength?: number | null;
  ci_low?: number | null;
  ci_high?: number | null;
  wins?: number | null;
  comparisons?: number | null;
};
/** Whether and how a review's ranking counted in the aggregate. */
export interface Vote {
  counted: 'full' | 'partial' | 'none';
  note: string;
}
/** The same, per reviewer, in the run's metadata. */
export interface VoteUse extends Vote {
  reviewer: string;
}
/** A reviewer's own answer against the other reviewers' view of the same answers. */
export interface SelfPreference {
  reviewer: string;
  answered_by?: string | null;
  own_label?: string | null;
  pairs: number;
  own_win_rate: number;
  others_win_rate: number | null;
  delta: number | null;
}
/** `self_preference_by_reviewer` holds `SelfPreference` objects (free-form in the schema). */
export type Agreement = Known<Schemas['AgreementPublic']>;
/** Filled at stage 2; an empty object before it. The judgement fields are absent in older runs. */
export type RunMetadata = Known<Schemas['RunMetadata']> & {
  aggregate?: AggregateEntry[];
  no_clear_winner?: boolean | null;
  winner_label?: string | null;
  votes?: VoteUse[];
};
export type ModelFailure = Known<Schemas['ModelErrorPublic']>;

export interface RunError {
  code: string;
  message: string;
  failures?: ModelFailure[];
}

export type RunStatus = Schemas['AssistantMessagePublic']['status'];

export type UserMessage = Known<Schemas['UserMessagePublic']>;

export type AssistantMessage = Omit<Known<Schemas['AssistantMessagePublic']>, 'stage3' | 'error' | 'mode' | 'stage1_rounds'> & {
  stage3: Stage3Result | null;
  /** Absent in runs stored before modes (they ran "classic"). */
  mode?: Schemas['AssistantMessagePublic']['mode'];
  stage1_rounds?: Stage1Result[][];
  /** The server sends `{code, message}`; docs/API.md's earlier text form is accepted too. */
  error?: RunError | string | null;
  /** `{seeded: true}` for an earlier turn an API client supplied; it never ran. */
  council?: { preset?: string | null; members?: string[]; chairman?: string | null; seeded?: boolean } | null;
  seeded?: boolean;
};

export type Message = UserMessage | AssistantMessage;

// ---- the client's endpoints, checked against the schema's paths ----

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON a successful call answers with, as the schema declares it. */
export type JsonResponse<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: { content: { 'application/json': infer T } } }
      ? T
      : R extends { 201: { content: { 'application/json': infer T } } }
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

// ---- documents, books and images attached to a conversation (docs/API.md: Documents) ----

export type DocumentKind = 'pdf' | 'epub' | 'docx' | 'html' | 'markdown' | 'text' | 'image';
export type DocumentInfo = Omit<Known<Schemas['DocumentPublic']>, 'kind'> & { kind: DocumentKind | string };
export type SectionEntry = Known<Schemas['SectionEntry']>;
export type DocumentDetail = Omit<Known<Schemas['DocumentDetail']>, 'kind'> & { kind: DocumentKind | string };
export type SectionText = Known<Schemas['SectionPublic']>;
export type CitationInfo = Known<Schemas['CitationPublic']>;
/** One section a run was shown (`sections` is free-form in the schema). */
export interface ShownSection {
  id: number;
  position: number;
  number: string;
  title: string;
  pages?: string | null;
}
export type ShownDocument = Omit<Known<Schemas['ShownDocument']>, 'sections'> & { sections: ShownSection[] };
/** What a run was shown of the conversation's documents; `focus` is `{document_id, section}`. */
export type RunDocuments = Omit<Known<Schemas['RunDocuments']>, 'documents' | 'by_model' | 'focus' | 'summaries_made' | 'notes'> & {
  documents: ShownDocument[];
  /** What each model with a larger window than the smallest saw instead. */
  by_model?: Record<string, { complete: boolean; documents: ShownDocument[] }>;
  focus?: { document_id: string; section: string } | null;
  summaries_made?: number;
  notes?: string[];
};

/** An evaluation (`/api/evaluations`) and its report. */
export type Evaluation = Schemas['EvaluationPublic'];
export type EvaluationProgress = Schemas['EvaluationProgress'];
export type EvaluationReport = Schemas['EvaluationReport'];
export type Interval = Schemas['IntervalPublic'];
/** A batch of questions (`/api/batches`). */
export type Batch = Schemas['BatchPublic'];
export type BatchProgress = Schemas['BatchProgress'];
