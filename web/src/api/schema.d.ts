/**
 * PROVISIONAL: hand-written from docs/API.md in the shape openapi-typescript generates, until the
 * server publishes /openapi.json. Replace with `npm run gen:api`.
 */
export interface paths {}
export interface components {
  schemas: {
    ConversationSummary: {
      id: string;
      created_at: string;
      updated_at: string;
      title: string;
      message_count: number;
      preset: string | null;
    };
    Usage: {
      prompt_tokens?: number | null;
      completion_tokens?: number | null;
      total_tokens?: number | null;
    };
    Stage1Result: {
      model: string;
      response: string;
      answered_by: string | null;
      fallback_from: string | null;
      fallback_reason: string | null;
      usage: components['schemas']['Usage'] | null;
      latency_ms: number | null;
      ttft_ms: number | null;
      finish_reason: string | null;
      simulated: boolean;
    };
    Stage2Result: {
      model: string;
      ranking: string;
      parsed_ranking: string[];
      parse_status: string;
      parse_issues: string[];
      presentation_order: string[];
      own_label: string | null;
      answered_by: string | null;
      usage: components['schemas']['Usage'] | null;
      latency_ms: number | null;
    };
    Stage3Result: {
      model: string | null;
      response: string;
      answered_by: string | null;
      degraded: boolean;
      degraded_reason: string | null;
      fallback_from: string | null;
      fallback_reason: string | null;
      usage: components['schemas']['Usage'] | null;
      latency_ms: number | null;
      simulated: boolean;
    };
    AggregateRanking: {
      model: string;
      average_rank: number;
      rankings_count: number;
    };
    AggregateEntry: {
      model: string;
      label: string;
      average_rank: number;
      rankings_count: number;
      first_place_votes: number;
      self_rank_average: number | null;
    };
    Agreement: {
      kendall_w: number | null;
      mean_pairwise_tau: number | null;
      reviewers: number;
      self_preference: number | null;
    };
    RunMetadata: {
      label_to_model: { [key: string]: string };
      aggregate_rankings: components['schemas']['AggregateRanking'][];
      aggregate: components['schemas']['AggregateEntry'][];
      agreement: components['schemas']['Agreement'] | null;
      self_votes_excluded: boolean;
      ranking_skipped: boolean;
      ranking_skipped_reason: string | null;
      seed: number | null;
      preset: string | null;
      members: string[];
      chairman: string | null;
    };
    ModelFailure: {
      stage: number;
      model: string;
      kind: string;
      message: string;
      status: number | null;
    };
    UserMessage: {
      role: 'user';
      id: string;
      content: string;
      created_at: string;
    };
    AssistantMessage: {
      role: 'assistant';
      run_id: string;
      status: 'running' | 'complete' | 'failed' | 'cancelled' | 'interrupted';
      stage1: components['schemas']['Stage1Result'][];
      stage2: components['schemas']['Stage2Result'][];
      stage3: components['schemas']['Stage3Result'] | null;
      metadata: components['schemas']['RunMetadata'] | null;
      errors: components['schemas']['ModelFailure'][];
      error: string | null;
      created_at: string;
      finished_at: string | null;
      simulated: boolean;
    };
    Conversation: {
      id: string;
      created_at: string;
      updated_at: string;
      title: string;
      preset: string | null;
      members: string[];
      chairman: string | null;
      messages: (components['schemas']['UserMessage'] | components['schemas']['AssistantMessage'])[];
    };
    ConversationCreate: {
      preset?: string | null;
      members?: string[] | null;
      chairman?: string | null;
    };
    ConversationUpdate: {
      title?: string | null;
      preset?: string | null;
      members?: string[] | null;
      chairman?: string | null;
    };
    MessageCreate: { content: string };
    PresetInfo: {
      name: string;
      members: string[];
      chairman: string;
      description: string;
    };
    ModelsInfo: {
      default_preset: string;
      presets: components['schemas']['PresetInfo'][];
      models: string[];
    };
    StatusInfo: {
      demo: boolean;
      version: string;
      simulator_url?: string | null;
    };
    CancelResult: { run_id: string; status: string };
    ErrorBody: { detail: { code: string; message: string } };
  };
}
