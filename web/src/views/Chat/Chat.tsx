import { useEffect, useMemo, useRef, type ReactNode } from 'react';
import type { AssistantMessage, Conversation, Message } from '../../api/types';
import { isSeeded, runFromMessage, type RunView } from '../../state/run';
import type { LiveTurn } from '../../state/useCouncilRun';
import { Markdown } from '../Markdown/Markdown';
import { AssistantTurn } from './AssistantTurn';

const RETRYABLE = new Set(['interrupted', 'failed', 'cancelled']);

/**
 * While a new question streams, the stored copy of that same turn (fetched mid-run, still
 * "running") is hidden: the live view shows it.
 */
function visibleMessages(messages: Message[], live: LiveTurn | null): Message[] {
  if (!live || live.retryOf !== null) return messages;
  const out: Message[] = [];
  for (const m of messages) {
    if (m.role === 'assistant' && (m.status === 'running' || m.run_id === live.run.runId)) {
      if (out.at(-1)?.role === 'user') out.pop(); // its question
      continue;
    }
    out.push(m);
  }
  // A question stored a moment before its run: not answered yet, so it is the live one.
  const last = out.at(-1);
  if (last?.role === 'user' && last === messages.at(-1) && last.content === live.content) out.pop();
  return out;
}

function UserTurn({ content }: { content: string }) {
  return (
    <article className="turn turn--user" aria-label="Question">
      <header className="turn__head">
        <span className="turn__who">You</span>
      </header>
      <div className="turn__bubble">
        <Markdown text={content} />
      </div>
    </article>
  );
}

/** An earlier answer an API client supplied with its question: context, not a council's work. */
export function SeededTurn({ text }: { text: string }) {
  return (
    <article className="turn turn--seeded" aria-label="Earlier answer (supplied by the API client)">
      <header className="turn__head">
        <span className="turn__who">Earlier answer</span>
        <span className="muted turn__council">(supplied by the API client)</span>
      </header>
      <div className="turn__bubble turn__bubble--seeded">
        {text ? <Markdown text={text} /> : <p className="muted">(empty)</p>}
      </div>
    </article>
  );
}

/** The messages of one conversation, with the run being streamed now shown in its place. */
export function Chat({
  conversation,
  live,
  onRetry,
  header,
}: {
  conversation: Conversation | null;
  live: LiveTurn | null;
  onRetry: (run: RunView) => void;
  /** Shown above the first turn: the conversation's documents. */
  header?: ReactNode;
}) {
  const end = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stuckToBottom = useRef(true);
  const liveHere = live && conversation && live.conversationId === conversation.id ? live : null;
  const messages = useMemo(() => visibleMessages(conversation?.messages ?? [], liveHere), [conversation?.messages, liveHere]);
  const stored = useMemo(
    () => messages.map((m) => (m.role === 'assistant' && !isSeeded(m) ? runFromMessage(m as AssistantMessage) : null)),
    [messages],
  );
  const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = () => {
      stuckToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 120;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    stuckToBottom.current = true;
  }, [conversation?.id]);
  useEffect(() => {
    if (stuckToBottom.current) end.current?.scrollIntoView({ block: 'end' });
  });
  // Sending (or retrying) scrolls to the new turn even when the reader had scrolled up, and
  // keeps following it: they asked for it.
  const turnStarted = liveHere !== null;
  useEffect(() => {
    if (!turnStarted) return;
    stuckToBottom.current = true;
    end.current?.scrollIntoView({ block: 'end' });
  }, [turnStarted]);

  // One list, each turn keyed: when a run ends and its stored turn replaces the live one, it
  // takes the live turn's key, so React keeps the elements, and the focus a keyboard user has
  // in them. The live turn's key is fixed when it starts (its run's id comes with a later
  // event, and a key that changed then would rebuild it mid-run).
  const liveKey = useRef<{ key: string; runId: string | null } | null>(null);
  const keyOfRun = useRef(new Map<string, string>());
  const liveCount = useRef(0);
  if (liveHere && liveHere.content !== null) {
    if (liveKey.current === null) liveKey.current = { key: `a-live-${++liveCount.current}`, runId: null };
    const runId = liveHere.run.runId;
    if (runId && liveKey.current.runId === null) {
      liveKey.current.runId = runId;
      keyOfRun.current.set(runId, liveKey.current.key);
    }
  } else {
    liveKey.current = null;
  }
  const keyOf = (runId: string | null, i: number) => (runId && keyOfRun.current.get(runId)) || `a-${runId ?? i}`;
  const turns: ReactNode[] = messages.map((m, i) => {
    if (m.role === 'user') return <UserTurn key={`u-${m.id}-${i}`} content={m.content} />;
    if (isSeeded(m)) return <SeededTurn key={`s-${m.run_id}-${i}`} text={m.stage3?.response ?? ''} />;
    const run = stored[i]!;
    if (liveHere && liveHere.retryOf && liveHere.retryOf === run.runId) {
      return <AssistantTurn key={`a-${run.runId}`} run={liveHere.run} live stopping={liveHere.stopping} canRetry={false} onRetry={() => undefined} />;
    }
    return (
      <AssistantTurn
        key={keyOf(run.runId, i)}
        run={run}
        live={false}
        canRetry={!live && i === lastAssistant && RETRYABLE.has(run.status)}
        onRetry={() => onRetry(run)}
        conversationId={conversation?.id}
      />
    );
  });
  if (liveHere && liveHere.content !== null && liveKey.current) {
    turns.push(
      <UserTurn key={`u-${liveKey.current.key}`} content={liveHere.content} />,
      <AssistantTurn
        key={liveKey.current.key}
        run={liveHere.run}
        live
        stopping={liveHere.stopping}
        canRetry={false}
        onRetry={() => undefined}
      />,
    );
  }

  return (
    <div className="chat" ref={scroller}>
      <div className="chat__inner">
        {header}
        {turns}
        <div ref={end} />
      </div>
    </div>
  );
}
