/**
 * Named aliases for the schema types the UI uses. The only file that knows the OpenAPI schema's
 * component names: when the generated schema renames something, fix it here.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type ConversationSummary = Schemas['ConversationSummary'];
export type Conversation = Schemas['Conversation'];
export type ConversationCreate = Schemas['ConversationCreate'];
export type ConversationUpdate = Schemas['ConversationUpdate'];
export type Message = Conversation['messages'][number];
export type UserMessage = Extract<Message, { role: 'user' }>;
export type AssistantMessage = Extract<Message, { role: 'assistant' }>;
export type RunStatus = AssistantMessage['status'];
export type Stage1Result = AssistantMessage['stage1'][number];
export type Stage2Result = AssistantMessage['stage2'][number];
export type Stage3Result = NonNullable<AssistantMessage['stage3']>;
export type RunMetadata = NonNullable<AssistantMessage['metadata']>;
export type AggregateEntry = RunMetadata['aggregate'][number];
export type Agreement = NonNullable<RunMetadata['agreement']>;
export type ModelFailure = AssistantMessage['errors'][number];
export type Usage = NonNullable<Stage1Result['usage']>;
export type ModelsInfo = Schemas['ModelsInfo'];
export type PresetInfo = ModelsInfo['presets'][number];
export type StatusInfo = Schemas['StatusInfo'];
export type CancelResult = Schemas['CancelResult'];
