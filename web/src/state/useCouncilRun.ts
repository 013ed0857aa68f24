/**
 * The run being streamed now: starts it, feeds its events into `applyEvent` (batched once per
 * animation frame so many models streaming at once stay cheap), stops it, and decides what to do
 * when the stream ends: after a broken stream, follow the run again from the last event received
 * (`GET …/events` with `Last-Event-ID`, answered by any server instance); then reload the stored
 * conversation, or say the connection was lost and retry.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type StreamHandle } from '../api/client';
import type { CouncilEvent } from '../api/events';
import { followRunEvents, type StreamEnd } from '../api/sse';
import type { AssistantMessage, Conversation } from '../api/types';
import { applyEvent, newRun, runFromMessage, settle, type RunView } from './run';

export interface LiveTurn {
  conversationId: string;
  /** The question as typed; null for a retry (its question is already stored). */
  content: string | null;
  /** For a retry: the run it resumes, rendered in place of the stored one. */
  retryOf: string | null;
  run: RunView;
  stopping: boolean;
}

export interface RunCallbacks {
  /** Reloads a conversation from the server; null when it could not be reached. */
  reload: (conversationId: string) => Promise<Conversation | null>;
  onTitle: (conversationId: string, title: string) => void;
  onRunStart?: (conversationId: string) => void;
  /** The server refused the message before its run started (empty, too long, …). */
  onRefused?: (conversationId: string) => void;
}

/**
 * Waits between attempts to reach the server after a stream broke: quickly at first, then every
 * five seconds for about two minutes (a restarting or failing-over server on a busy machine can
 * take a while), before saying it cannot be reached.
 */
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, ...Array<number>(23).fill(5000)];
const STOP_GRACE_MS = 5000;
/** Waits before following a broken run again; after these fail in a row, reload polling. */
export const RESUME_DELAYS_MS = [0, 500, 1000, 2000];
/** How often a run that does not stream (reading mode) is looked up while it works. */
const PROGRESS_POLL_MS = 1500;

function sleep(ms: number) {
  return new Promise((resolve) => window.setTimeout(resolve, ms));
}

export function useCouncilRun(callbacks: RunCallbacks) {
  const [live, setLive] = useState<LiveTurn | null>(null);
  const [failure, setFailure] = useState<{ message: string; content: string | null } | null>(null);
  const handle = useRef<StreamHandle | null>(null);
  const queue = useRef<CouncilEvent[]>([]);
  const frame = useRef<number | null>(null);
  const cb = useRef(callbacks);
  cb.current = callbacks;

  const flush = useCallback(() => {
    frame.current = null;
    const events = queue.current;
    queue.current = [];
    if (events.length === 0) return;
    setLive((turn) => (turn ? { ...turn, run: events.reduce(applyEvent, turn.run) } : turn));
  }, []);

  const enqueue = useCallback(
    (conversationId: string) => (event: CouncilEvent) => {
      if (event.type === 'title_complete') cb.current.onTitle(conversationId, event.data.title);
      if (event.type === 'run_start') cb.current.onRunStart?.(conversationId);
      queue.current.push(event);
      if (frame.current === null) frame.current = window.requestAnimationFrame(flush);
    },
    [flush],
  );

  useEffect(
    () => () => {
      handle.current?.abort();
      if (frame.current !== null) window.cancelAnimationFrame(frame.current);
    },
    [],
  );

  /** After the stream: show the stored conversation, reconnecting while the server is away. */
  const settleTurn = useCallback(
    async (conversationId: string, end: StreamEnd) => {
      flush();
      if (end.kind === 'dropped') {
        setLive((t) => (t ? { ...t, run: { ...settle(t.run), connectionLost: `Connection lost (${end.reason}). Reconnecting…` } } : t));
      }
      for (let attempt = 0; ; attempt++) {
        const conversation = await cb.current.reload(conversationId);
        if (conversation) {
          setLive(null);
          return;
        }
        const delay = RECONNECT_DELAYS_MS[attempt];
        if (delay === undefined) break;
        await sleep(delay);
      }
      setLive((t) =>
        t
          ? {
              ...t,
              stopping: false,
              run: {
                ...settle(t.run),
                connectionLost: 'The server cannot be reached. The run may have finished without us: reload the page to see it.',
              },
            }
          : t,
      );
    },
    [flush],
  );

  /**
   * A stream that broke after some events: follow the run from the last one received, through
   * any instance, while each attempt gets further; the end of the last attempt is returned.
   */
  const resume = useCallback(
    async (conversationId: string, broken: StreamEnd): Promise<StreamEnd> => {
      let end = broken;
      let failures = 0;
      while (end.kind === 'dropped' && end.lastId && end.resumable !== false) {
        const delay = RESUME_DELAYS_MS[failures];
        if (delay === undefined) break;
        const reason = end.reason;
        setLive((t) => (t ? { ...t, run: { ...t.run, connectionLost: `Connection lost (${reason}). Reconnecting…` } } : t));
        if (delay > 0) await sleep(delay);
        const lastId = end.lastId;
        const deliver = enqueue(conversationId);
        let reached = false;
        const followed = followRunEvents(conversationId, lastId, (event) => {
          if (!reached) {
            reached = true;
            setLive((t) => (t ? { ...t, run: { ...t.run, connectionLost: null } } : t));
          }
          deliver(event);
        });
        handle.current = followed;
        end = await followed.done;
        handle.current = null;
        failures = end.kind === 'dropped' && end.lastId !== lastId ? 0 : failures + 1;
      }
      return end;
    },
    [enqueue],
  );

  const follow = useCallback(
    async (conversationId: string, started: StreamHandle, content: string | null) => {
      handle.current = started;
      let end: StreamEnd;
      try {
        end = await started.done;
      } catch (err) {
        handle.current = null;
        queue.current = [];
        setLive(null);
        const message = err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err);
        setFailure({ message, content });
        if (err instanceof ApiError) cb.current.onRefused?.(conversationId);
        // A refused request may still have stored the question (e.g. overload after storing).
        void cb.current.reload(conversationId);
        return;
      }
      handle.current = null;
      await settleTurn(conversationId, await resume(conversationId, end));
    },
    [resume, settleTurn],
  );

  const start = useCallback(
    (conversation: { id: string; members: string[]; chairman: string | null; preset: string | null }, content: string, mode?: string) => {
      if (handle.current) return;
      setFailure(null);
      queue.current = [];
      const run = newRun({ members: conversation.members, chairman: conversation.chairman, preset: conversation.preset, mode });
      setLive({ conversationId: conversation.id, content, retryOf: null, run, stopping: false });
      const options = mode ? { mode: mode as NonNullable<Parameters<typeof api.sendMessage>[4]>['mode'] } : {};
      void follow(conversation.id, api.sendMessage(conversation.id, content, enqueue(conversation.id), undefined, options), content);
    },
    [enqueue, follow],
  );

  /**
   * A run started by a request that answers only when it has ended (reading mode's "discuss
   * this chapter"): shown like a streamed turn, its progress read from the stored conversation
   * while it works, then the stored result.
   */
  const startRequest = useCallback(
    (conversation: { id: string; members: string[]; chairman: string | null; preset: string | null }, content: string, send: () => Promise<unknown>) => {
      if (handle.current) return;
      setFailure(null);
      queue.current = [];
      const run = newRun({ members: conversation.members, chairman: conversation.chairman, preset: conversation.preset });
      setLive({ conversationId: conversation.id, content, retryOf: null, run, stopping: false });
      let ended = false;
      // Ended: settled like a stream the client closed (the stored conversation is reloaded).
      const done = send()
        .then((): StreamEnd => ({ kind: 'aborted' }))
        .finally(() => {
          ended = true;
        });
      void (async () => {
        while (!ended) {
          await sleep(PROGRESS_POLL_MS);
          if (ended) break;
          const stored = await api.getConversation(conversation.id).catch(() => null);
          const last = stored?.messages.at(-1);
          if (ended || last?.role !== 'assistant' || last.status !== 'running') continue;
          const progress = runFromMessage(last as AssistantMessage);
          setLive((t) => (t && t.conversationId === conversation.id && t.run.status === 'running' ? { ...t, run: { ...progress, members: progress.members.length ? progress.members : t.run.members } } : t));
        }
      })();
      // The server cancels a run by its id (Stop); the request itself is left to answer.
      void follow(conversation.id, { done, abort: () => undefined }, content);
    },
    [follow],
  );

  const retry = useCallback(
    (conversationId: string, previous: RunView) => {
      if (handle.current || !previous.runId) return;
      setFailure(null);
      queue.current = [];
      const run: RunView = { ...previous, status: 'running', error: null, connectionLost: null };
      setLive({ conversationId, content: null, retryOf: previous.runId, run, stopping: false });
      void follow(conversationId, api.retryRun(conversationId, previous.runId, enqueue(conversationId)), null);
    },
    [enqueue, follow],
  );

  const stop = useCallback(async () => {
    const current = handle.current;
    if (!current || !live) return;
    setLive((t) => (t ? { ...t, stopping: true } : t));
    const runId = live.run.runId ?? queue.current.find((e) => e.type === 'run_start')?.run_id;
    if (!runId) {
      current.abort();
      return;
    }
    try {
      await api.cancelRun(live.conversationId, runId);
    } catch {
      current.abort();
      return;
    }
    // The server ends the stream itself once the run has stopped; do not wait forever.
    const timer = window.setTimeout(() => current.abort(), STOP_GRACE_MS);
    await current.done.catch(() => undefined);
    window.clearTimeout(timer);
  }, [live]);

  return { live, failure, clearFailure: () => setFailure(null), start, startRequest, retry, stop, busy: live !== null };
}
