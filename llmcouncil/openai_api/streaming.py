"""A council as a stream of ``chat.completion.chunk`` s.

A standard client sees exactly what a model's stream looks like: a first chunk with the
assistant role, the Chairman's tokens as content deltas, a last chunk with ``finish_reason``
(``stream_options.include_usage`` adds the usage chunk, summed over every call of the council),
then ``data: [DONE]``. The council's progress while the members answer and review (often most
of the wait) travels as SSE comments (``: council stage1_complete``), which SSE parsers skip and
which keep proxies from closing an idle stream; with ``council.events`` the client opts in to
chunks with empty ``choices`` and a ``council`` field holding each event.

The Chairman's text can restart (a retry, or a fallback chairman, after tokens were sent); a
client cannot take text back, so the stream says so in the content and goes on with the new
text. A council that fails after the stream began ends with ``data: {"error": …}``, the way the
OpenAI API reports mid-stream errors (the SDK raises it as an ``APIError``). A simulated run's
content begins with ``SIMULATED_MARKER`` (demo mode), so no client shows its text as real.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.responses import StreamingResponse

from llmcouncil.api.sse import event_stream
from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.runs import RunHandle, RunService
from llmcouncil.council.simulated import marked
from llmcouncil.openai_api.errors import openai_error
from llmcouncil.openai_api.schemas import usage_body

CHAIRMAN_STAGE = 3
RESTART_NOTICE = (
    "\n\n---\n\n*The Chairman's answer was interrupted by an upstream failure "
    "and starts again below.*\n\n"
)
_STATUS_OF_CODE = {
    "council_failed": 502,
    "cancelled": 503,
    "internal_error": 500,
    "storage_unavailable": 503,
}


def _data(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


class ChunkWriter:
    """Turns one run's events into SSE bytes for an OpenAI client."""

    def __init__(
        self, *, run_id: str, model: str, council: dict[str, Any], include_usage: bool, events: bool
    ):
        self._id = f"chatcmpl-{run_id}"
        self._created = int(time.time())
        self._model = model
        self._council = council
        self._include_usage = include_usage
        self._events = events
        self._attempt = ""  # the Chairman's text since its last restart
        self._finish = "stop"  # "length" when the output limit cut the final answer

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _data(self._envelope(choices=[choice], **extra))

    def _envelope(self, **fields: Any) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "system_fingerprint": None,
            **fields,
        }

    def opening(self) -> bytes:
        return self.chunk({"role": "assistant", "content": ""}, council=self._council)

    def feed(self, event: CouncilEvent) -> list[bytes]:
        kind, fields = event.type, event.fields
        if kind is EventType.MODEL_DELTA and fields.get("stage") == CHAIRMAN_STAGE:
            text = str(fields.get("text", ""))
            self._attempt += text
            return [self.chunk({"content": text})] if text else []
        out = self._progress(event)
        if kind is EventType.RUN_START and fields.get("simulated"):
            out.append(self.chunk({"content": marked("", simulated=True)}))
        elif kind is EventType.MODEL_RESET and fields.get("stage") == CHAIRMAN_STAGE:
            if self._attempt:
                out.append(self.chunk({"content": RESTART_NOTICE}))
            self._attempt = ""
        elif kind is EventType.STAGE3_COMPLETE:
            final = fields.get("data")
            if isinstance(final, dict) and final.get("finish_reason") == "length":
                self._finish = "length"
            out += self._reconcile(final)
        elif kind is EventType.COMPLETE:
            out.append(self.chunk({}, finish=self._finish))
            if self._include_usage:
                usage = usage_body(fields.get("usage") or {})
                out.append(_data(self._envelope(choices=[], usage=usage)))
            out.append(b"data: [DONE]\n\n")
        elif kind is EventType.ERROR:
            code = str(fields.get("code") or "council_error")
            status = _STATUS_OF_CODE.get(code, 502)
            error = openai_error(status, str(fields.get("message") or code), code=code)
            if fields.get("failures"):
                error["error"]["council"] = {"failures": fields["failures"]}
            out.append(_data(error))
        return out

    def _progress(self, event: CouncilEvent) -> list[bytes]:
        if event.type is EventType.MODEL_DELTA and not self._events:
            return []
        if self._events:
            return [_data(self._envelope(choices=[], council=event.as_dict()))]
        fields = event.fields
        where = " ".join(
            f"{key}={fields[key]}" for key in ("stage", "model") if fields.get(key) is not None
        )
        return [f": council {event.type.value} {where}".rstrip().encode() + b"\n\n"]

    def _reconcile(self, final: Any) -> list[bytes]:
        """What the client still needs so that its text ends with the final answer."""
        text = str(final.get("response", "")) if isinstance(final, dict) else ""
        sent = self._attempt
        if text == sent:
            return []
        self._attempt = text
        if text.startswith(sent):
            return [self.chunk({"content": text[len(sent) :]})]
        prefix = RESTART_NOTICE if sent else ""  # e.g. every chairman failed mid-answer
        return [self.chunk({"content": prefix + text})]


def chat_stream(handle: RunHandle, runs: RunService, writer: ChunkWriter) -> StreamingResponse:
    return event_stream(handle, runs, render=writer.feed, opening=writer.opening())
