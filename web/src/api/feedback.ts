/**
 * A person's vote on a run (`/api/conversations/{id}/runs/{run}/vote`, docs/API.md): their pick
 * among the answers, their rating of the final answer, "the council got this wrong".
 */
import { ApiError, request } from './client';
import type { components } from './schema';

export type VoteCast = components['schemas']['VoteCast'];
export type PersonalVote = components['schemas']['llmcouncil__feedback__schemas__VotePublic'];

const path = (conversationId: string, runId: string) =>
  `/api/conversations/${encodeURIComponent(conversationId)}/runs/${encodeURIComponent(runId)}/vote`;

export const feedbackApi = {
  /** The person's vote, or null when they have not voted on this run. */
  async get(conversationId: string, runId: string): Promise<PersonalVote | null> {
    try {
      return await request<PersonalVote>(path(conversationId, runId));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  },
  cast(conversationId: string, runId: string, vote: VoteCast): Promise<PersonalVote> {
    return request<PersonalVote>(path(conversationId, runId), { method: 'PUT', body: JSON.stringify(vote) });
  },
  withdraw(conversationId: string, runId: string): Promise<void> {
    return request<void>(path(conversationId, runId), { method: 'DELETE' });
  },
};
