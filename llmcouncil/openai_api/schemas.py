"""The wire format of ``/v1``: requests as the OpenAI API defines them, answers built as dicts.

Requests accept the OpenAI parameters a council has no use for (temperature, max_tokens, seed,
user, …) and ignore them: the preset decides how its models are called. Parameters whose meaning
the council cannot honour (tools, n > 1, non-text content) are refused with a 400 in
``messages.py`` rather than silently dropped.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.inputs import INT64_MAX
from llmcouncil.presets.settings import MAX_REVISION_ROUNDS, ModeName

MODEL_PREFIX = "council"
OWNER = "llm-council"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=50)
    text: str | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = Field(default=None, max_length=200)
    tool_calls: list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class CouncilOptions(BaseModel):
    """The request's ``council`` extension (``extra_body={"council": {...}}`` in the SDK)."""

    model_config = ConfigDict(extra="forbid")

    events: bool = Field(
        default=False,
        description="Stream the council's own events as chunks with empty choices and a "
        "`council` field, instead of only as SSE comments.",
    )


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(max_length=200, description="`council` or `council/<preset>`.")
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=1000)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = Field(default=None, ge=1, le=INT64_MAX)
    tools: list[dict[str, Any]] | None = None
    functions: list[dict[str, Any]] | None = None
    council: CouncilOptions | None = None
    mode: ModeName | None = Field(
        default=None,
        description="Extension: how the council deliberates (classic, select, answers, revise, "
        "self-moa); default: the preset's.",
    )
    rounds: int | None = Field(
        default=None, ge=1, le=MAX_REVISION_ROUNDS, description="Extension: revision rounds."
    )


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    council: dict[str, Any] = Field(description="The preset behind this model name.")


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ChatCompletion(BaseModel):
    """The non-streamed answer (documented shape; extra fields are OpenAI's own)."""

    model_config = ConfigDict(extra="allow")

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[dict[str, Any]]
    usage: dict[str, Any]
    council: dict[str, Any] = Field(
        description="The whole deliberation: stage1, stage2, metadata, errors, cost, and the "
        "stored conversation's id and link."
    )


def model_name(preset: str, *, default_preset: str) -> str:
    return MODEL_PREFIX if preset == default_preset else f"{MODEL_PREFIX}/{preset}"


def usage_body(usage: dict[str, Any]) -> dict[str, int]:
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
