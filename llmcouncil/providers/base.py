"""The provider contract: one small protocol every upstream adapter implements.

An adapter implements one method, ``stream(request, *, watched=...)``: it yields ``TextDelta``
(and ``ReasoningDelta``) items and then exactly one ``Completion``. ``watched`` says whether
anyone watches the tokens; when nobody does, the adapter may take its own fast path (the
OpenAI-compatible one reads the body after the first token in a few drains and yields no
deltas), but it must still honour ``first_token_timeout``. A caller that wants only the answer
reads it with ``final(provider.stream(request, watched=False))``.
A ``Completion`` reports usage, cost when the upstream gives it, finish reason, latency, time to
first token and the model that actually answered. A model's reasoning
(``reasoning``/``reasoning_content`` fields, ``<think>`` blocks) is kept apart from its text:
``Completion.reasoning`` holds it, and a stream yields it as ``ReasoningDelta`` items, never as
``TextDelta``. Failures are raised as ``llmcouncil.errors.ProviderError`` subclasses, never as
library exceptions.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from llmcouncil.errors import ProviderError
from llmcouncil.records import Usage

__all__ = [
    "ChatMessage",
    "Completion",
    "CompletionRequest",
    "ImagePart",
    "Provider",
    "ReasoningDelta",
    "ReasoningRequest",
    "StreamItem",
    "TextDelta",
    "Usage",
    "final",
]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image sent with a message's text: an OpenAI ``image_url`` content part whose URL is a
    ``data:`` URL (no upstream is ever asked to fetch anything). Built once per image and run,
    so each call that carries it costs no encoding."""

    url: str  # data:image/png;base64,…

    def __post_init__(self) -> None:
        # Nothing in it needs escaping in JSON, so an adapter may splice it into a body as it
        # is (``providers/image_wire.py``) instead of running the JSON encoder over megabytes.
        url = self.url
        if not (url.isascii() and url.isprintable()) or '"' in url or "\\" in url:
            raise ValueError("an image part's URL must be a data: URL in plain ASCII")

    @classmethod
    def of(cls, media_type: str, data: bytes) -> ImagePart:
        return cls(f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}")

    def as_wire(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url}}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message. ``content`` is its text; ``images`` (user messages only) go after it as
    content parts, for a model that reads images. Without images the wire form is the plain
    ``{"role", "content": text}`` every upstream accepts."""

    role: Role
    content: str
    images: tuple[ImagePart, ...] = ()

    def as_wire(self) -> dict[str, Any]:
        if not self.images:
            return {"role": self.role, "content": self.content}
        parts: list[dict[str, Any]] = [{"type": "text", "text": self.content}]
        parts += [image.as_wire() for image in self.images]
        return {"role": self.role, "content": parts}


@dataclass(frozen=True, slots=True)
class ReasoningRequest:
    """How hard a reasoning model should think: an effort level and/or a token budget for its
    thinking. Each adapter sends it in its upstream's format (``providers/reasoning_wire.py``)."""

    effort: Literal["minimal", "low", "medium", "high"] | None = None
    max_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What to ask one model. ``model`` is the upstream's own id (no provider prefix)."""

    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    # A JSON schema asks for structured output; adapters that cannot honour it raise
    # BadRequestError so the caller can fall back to text.
    json_schema: Mapping[str, Any] | None = None
    # Seconds: the whole call, and the wait for the first token of a stream.
    timeout: float | None = None
    first_token_timeout: float | None = None
    seed: int | None = None
    reasoning: ReasoningRequest | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str  # the model that actually answered, as the upstream reported it
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    simulated: bool = False
    # What the model thought before answering; stored and shown, never sent to another model.
    reasoning: str | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning, streamed: proof of life, never part of the answer."""

    text: str


StreamItem = TextDelta | ReasoningDelta | Completion


@runtime_checkable
class Provider(Protocol):
    """An upstream that serves chat completions. ``name`` is its configured name."""

    name: str

    def stream(self, request: CompletionRequest, *, watched: bool) -> AsyncIterator[StreamItem]:
        """Yield text (and reasoning) deltas as they arrive, then exactly one ``Completion``.

        ``watched`` False: nobody watches the tokens, so the adapter may yield no deltas and
        read the answer its cheapest way; the first-token deadline holds either way."""
        ...

    async def list_models(self) -> list[str]: ...

    async def aclose(self) -> None: ...


async def final(items: AsyncIterator[StreamItem]) -> Completion:
    """The ``Completion`` a stream ends with (its deltas are dropped)."""
    completion: Completion | None = None
    async for item in items:
        if isinstance(item, Completion):
            completion = item
    if completion is None:  # the contract promises one; guard against adapters
        raise ProviderError("stream ended without a result")
    return completion
