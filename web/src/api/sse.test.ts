import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CouncilEvent } from './events';
import { followRunEvents, readCouncilStream, runOfEventId, SseParser } from './sse';

const enc = new TextEncoder();

function streamOf(chunks: Uint8Array[], { fail = false } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk);
      else if (fail) controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
}

/** Splits bytes at the given offsets. */
function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.slice(prev, c));
    prev = c;
  }
  return out;
}

const EVENTS: CouncilEvent[] = [
  { type: 'run_start', run_id: 'r1', conversation_id: 'c1', members: ['a/x', 'b/y'], chairman: 'a/x', preset: 'default', simulated: true },
  { type: 'stage1_start' },
  { type: 'model_delta', stage: 1, model: 'a/x', text: 'Héllo wörld — “quotes” 🎉 and a {"json": "inside"}' },
  { type: 'model_delta', stage: 1, model: 'b/y', text: 'line one\nline two\r\nline three' },
  { type: 'complete' },
];

function wire(events: CouncilEvent[], eol = '\n'): string {
  return events.map((e) => `data: ${JSON.stringify(e)}${eol}${eol}`).join('');
}

describe('SseParser', () => {
  it('parses whole events', () => {
    const p = new SseParser();
    const out = p.push(wire(EVENTS));
    expect(out.map((m) => JSON.parse(m.data))).toEqual(EVENTS);
  });

  it('keeps a JSON event split across reads', () => {
    const text = wire(EVENTS);
    const p = new SseParser();
    const out = [];
    // split into single characters: the worst case
    for (const ch of text) out.push(...p.push(ch));
    expect(out.map((m) => JSON.parse(m.data))).toEqual(EVENTS);
  });

  it('handles CRLF split between the CR and the LF', () => {
    const text = wire(EVENTS, '\r\n');
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(out.length, `cut at ${cut}`).toBe(EVENTS.length);
    }
  });

  it('handles bare CR line endings', () => {
    const p = new SseParser();
    expect(p.push('data: {"type":"complete"}\r\r').map((m) => m.data)).toEqual(['{"type":"complete"}']);
  });

  it('ignores comments and joins multi-line data', () => {
    const p = new SseParser();
    const out = p.push(': keep-alive\n\nevent: x\ndata: {"type":\ndata: "complete"}\nid: 7\n\n');
    expect(out).toEqual([{ event: 'x', data: '{"type":\n"complete"}', id: '7' }]);
  });

  it('accepts data without a space after the colon', () => {
    expect(new SseParser().push('data:{"a":1}\n\n')[0]!.data).toBe('{"a":1}');
  });

  it('delivers an event missing its final blank line at the end', () => {
    const p = new SseParser();
    expect(p.push('data: {"type":"complete"}')).toEqual([]);
    expect(p.finish().map((m) => m.data)).toEqual(['{"type":"complete"}']);
  });
});

describe('readCouncilStream', () => {
  it('loses nothing whatever the read boundaries, multi-byte characters included', async () => {
    const bytes = enc.encode(wire(EVENTS));
    // every single cut point, then a few multi-cut patterns
    const patterns: number[][] = [];
    for (let i = 1; i < bytes.length; i++) patterns.push([i]);
    for (let step = 1; step < 9; step++) patterns.push(Array.from({ length: Math.floor((bytes.length - 1) / step) }, (_, k) => (k + 1) * step));
    for (const cuts of patterns) {
      const got: CouncilEvent[] = [];
      const end = await readCouncilStream(streamOf(splitAt(bytes, cuts)), (e) => got.push(e));
      expect(got).toEqual(EVENTS);
      expect(end.kind).toBe('finished');
    }
  });

  it('reports a connection that drops before the final event', async () => {
    const bytes = enc.encode(wire(EVENTS.slice(0, 3)));
    const got: CouncilEvent[] = [];
    const end = await readCouncilStream(streamOf([bytes], { fail: true }), (e) => got.push(e));
    expect(got).toHaveLength(3);
    expect(end).toEqual({ kind: 'dropped', reason: 'network error' });
  });

  it('reports a stream closed without a final event', async () => {
    const end = await readCouncilStream(streamOf([enc.encode(wire(EVENTS.slice(0, 2)))]), () => undefined);
    expect(end.kind).toBe('dropped');
  });

  it('ends on an error event and skips unknown event types and bad JSON', async () => {
    const text = 'data: {"type":"future_event","x":1}\n\ndata: {not json\n\ndata: {"type":"error","message":"boom","code":"all_failed"}\n\n';
    const got: CouncilEvent[] = [];
    const end = await readCouncilStream(streamOf([enc.encode(text)]), (e) => got.push(e));
    expect(got).toEqual([{ type: 'error', message: 'boom', code: 'all_failed' }]);
    expect(end.kind).toBe('finished');
  });
});

function wireWithIds(events: CouncilEvent[], runId: string, from = 1): string {
  return events.map((e, i) => `id: ${runId}:${from + i}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

describe('resuming a broken stream', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reports the id of the last event received when the connection drops', async () => {
    const bytes = enc.encode(wireWithIds(EVENTS.slice(0, 3), 'r1'));
    const end = await readCouncilStream(streamOf([bytes], { fail: true }), () => undefined);
    expect(end).toEqual({ kind: 'dropped', reason: 'network error', lastId: 'r1:3' });
  });

  it('does not resume a stream the server ended with a notice to poll', async () => {
    const text = `${wireWithIds(EVENTS.slice(0, 1), 'r1')}data: {"type":"stream_notice","message":"read the conversation again"}\n\n`;
    const got: CouncilEvent[] = [];
    const end = await readCouncilStream(streamOf([enc.encode(text)]), (e) => got.push(e));
    expect(got).toHaveLength(1);
    expect(end).toEqual({ kind: 'dropped', reason: 'read the conversation again', lastId: 'r1:1', resumable: false });
  });

  it('follows a run a stopping server handed over, without showing the handover as its end', async () => {
    const handover: CouncilEvent = { type: 'error', code: 'handed_over', message: 'run r1 was handed over', run_id: 'r1' };
    const text = wireWithIds([...EVENTS.slice(0, 2), handover], 'r1');
    const got: CouncilEvent[] = [];
    const end = await readCouncilStream(streamOf([enc.encode(text)]), (e) => got.push(e));
    expect(got).toEqual(EVENTS.slice(0, 2));
    expect(end).toEqual({ kind: 'dropped', reason: 'the server handed the run over to another instance', lastId: 'r1:3' });
  });

  it('asks for the events after the last id and continues from them', async () => {
    const asked: { path: string; lastId: string | null }[] = [];
    vi.stubGlobal('fetch', async (path: string, init: RequestInit = {}) => {
      asked.push({ path, lastId: new Headers(init.headers).get('Last-Event-ID') });
      return new Response(wireWithIds(EVENTS.slice(3), 'r1', 4), { headers: { 'Content-Type': 'text/event-stream' } });
    });
    const got: CouncilEvent[] = [];
    const end = await followRunEvents('c 1', 'r1:3', (e) => got.push(e)).done;
    expect(asked).toEqual([{ path: '/api/conversations/c%201/runs/r1/events', lastId: 'r1:3' }]);
    expect(got).toEqual(EVENTS.slice(3));
    expect(end.kind).toBe('finished');
  });

  it('turns a refusal into an end that is not resumed', async () => {
    vi.stubGlobal('fetch', async () => new Response('{"detail":{}}', { status: 404 }));
    const end = await followRunEvents('c1', 'r1:stored:2', () => undefined).done;
    expect(end).toEqual({ kind: 'dropped', reason: 'the server answered 404', lastId: 'r1:stored:2', resumable: false });
    expect(runOfEventId('r1:stored:2')).toBe('r1');
  });
});
