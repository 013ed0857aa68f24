/**
 * Server-sent events over a POST response (EventSource only does GET).
 *
 * Network reads split the stream anywhere: inside a JSON payload, between `\r` and `\n`, even
 * inside a multi-byte UTF-8 character. `SseParser` keeps the unfinished line and the unfinished
 * event between reads and only emits an event at its blank line, so nothing is lost or cut.
 */
import { asCouncilEvent, isTerminal, type CouncilEvent } from './events';

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = '';
  private lastId: string | null = null;
  private pendingCR = false;

  /** Feeds decoded text; returns the events completed by it. */
  push(text: string): SseMessage[] {
    let chunk = text;
    if (this.pendingCR) {
      // A "\r\n" split across two reads: the "\r" already ended the line.
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
      this.pendingCR = false;
    }
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      this.processLine(this.buffer.slice(start, i), out);
      if (ch === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** At the end of the stream: an event missing its final blank line is still delivered. */
  finish(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.buffer) this.processLine(this.buffer, out);
    this.buffer = '';
    this.dispatch(out);
    return out;
  }

  private processLine(line: string, out: SseMessage[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return; // a comment, used as keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id') this.lastId = value;
  }

  private dispatch(out: SseMessage[]): void {
    if (this.dataLines.length > 0) {
      out.push({ event: this.eventName || 'message', data: this.dataLines.join('\n'), id: this.lastId });
    }
    this.dataLines = [];
    this.eventName = '';
  }
}

/** Turns SSE messages into council events; malformed JSON is reported, not thrown. */
export function decodeCouncilEvent(message: SseMessage): CouncilEvent | null {
  try {
    return asCouncilEvent(JSON.parse(message.data));
  } catch {
    return null;
  }
}

export type StreamEnd =
  | { kind: 'finished'; last: CouncilEvent } // a `complete` or `error` event arrived
  | {
      kind: 'dropped'; // the connection ended before a final event
      reason: string;
      /** The SSE id of the last event received (`<run_id>:<n>`): where to resume from. */
      lastId?: string;
      /** False when the server said the run cannot be followed from here (poll instead). */
      resumable?: boolean;
    }
  | { kind: 'aborted' };

/** A stopping server instance handed the run to another (`error` with code `handed_over`). */
export const HANDED_OVER = 'handed_over';

function isHandover(event: CouncilEvent): event is Extract<CouncilEvent, { type: 'error' }> {
  return event.type === 'error' && event.code === HANDED_OVER;
}

/** The server's word that it cannot stream the rest of a run (`stream_notice`): poll instead. */
const NOTICE_TYPE = 'stream_notice';

function noticeOf(message: SseMessage): string | null {
  try {
    const value = JSON.parse(message.data) as { type?: unknown; message?: unknown };
    return value.type === NOTICE_TYPE ? String(value.message ?? 'the run cannot be followed') : null;
  } catch {
    return null;
  }
}

/**
 * Reads a `text/event-stream` body to its end, calling `onEvent` for each council event in order.
 * Never throws for network trouble: the way the stream ended is the return value.
 */
export async function readCouncilStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: CouncilEvent) => void,
  signal?: AbortSignal,
): Promise<StreamEnd> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  let last: CouncilEvent | null = null;
  let lastId: string | null = null;
  let notice: string | null = null;
  let handedOver: string | null = null;
  const deliver = (messages: SseMessage[]) => {
    for (const message of messages) {
      notice = noticeOf(message) ?? notice;
      const event = decodeCouncilEvent(message);
      if (!event) continue;
      if (message.id) lastId = message.id;
      if (isHandover(event)) {
        // The run goes on on another instance: not its end, a reason to follow it there.
        handedOver = event.message;
        continue;
      }
      last = event;
      onEvent(event);
    }
  };
  const dropped = (reason: string): StreamEnd => ({
    kind: 'dropped',
    reason: notice ?? reason,
    ...(lastId ? { lastId } : {}),
    ...(notice ? { resumable: false } : {}),
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      deliver(parser.push(decoder.decode(value, { stream: true })));
    }
    deliver(parser.push(decoder.decode()));
    deliver(parser.finish());
  } catch (err) {
    if (signal?.aborted) return { kind: 'aborted' };
    return dropped(err instanceof Error ? err.message : String(err));
  } finally {
    reader.releaseLock();
  }
  const final = last as CouncilEvent | null;
  if (handedOver !== null) {
    return { kind: 'dropped', reason: 'the server handed the run over to another instance', ...(lastId ? { lastId } : {}) };
  }
  if (final && isTerminal(final)) return { kind: 'finished', last: final };
  if (signal?.aborted) return { kind: 'aborted' };
  return dropped('the server closed the stream before the run finished');
}

/** The run an event id (`<run_id>:<n>` or `<run_id>:stored:<n>`) belongs to. */
export function runOfEventId(id: string): string {
  return id.split(':')[0] ?? id;
}

/**
 * Follows a run from the event after `lastId`, on whichever server instance answers
 * (`GET …/runs/{run_id}/events` with `Last-Event-ID`). Never throws: a refusal or a network
 * failure is a `dropped` end (`resumable: false` for a refusal), still carrying `lastId`.
 */
export function followRunEvents(
  conversationId: string,
  lastId: string,
  onEvent: (event: CouncilEvent) => void,
): { done: Promise<StreamEnd>; abort: () => void } {
  const controller = new AbortController();
  const path = `/api/conversations/${encodeURIComponent(conversationId)}/runs/${encodeURIComponent(runOfEventId(lastId))}/events`;
  const done = (async (): Promise<StreamEnd> => {
    let response: Response;
    try {
      response = await fetch(path, {
        signal: controller.signal,
        headers: { Accept: 'text/event-stream', 'Last-Event-ID': lastId },
      });
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'aborted' };
      return { kind: 'dropped', reason: err instanceof Error ? err.message : String(err), lastId };
    }
    if (!response.ok || !response.body) {
      return { kind: 'dropped', reason: `the server answered ${response.status}`, lastId, resumable: false };
    }
    const end = await readCouncilStream(response.body, onEvent, controller.signal);
    return end.kind === 'dropped' && !end.lastId ? { ...end, lastId } : end;
  })();
  return { done, abort: () => controller.abort() };
}
