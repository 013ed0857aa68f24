"""Request and response models at the API boundary (the OpenAPI schema is built from these)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmcouncil.presets.settings import MAX_REVISION_ROUNDS, ModeName, StageReasoning

# Where a conversation was started; v1 (OpenAI-compatible clients) and mcp are tools' traffic.
ConversationSource = Literal["web", "api", "cli", "v1", "mcp", "eval", "batch"]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(default=None, max_length=100)
    members: list[str] | None = Field(default=None, max_length=26)
    chairman: str | None = Field(default=None, max_length=300)
    source: Literal["web", "api"] = Field(
        default="api", description="web: the web UI says it started it; api: any other client"
    )
    reasoning: StageReasoning | None = Field(
        default=None,
        description="Effort and output budgets for this council, per stage and per model of "
        "it, over its preset's (the council picker's settings)",
    )


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    preset: str | None = Field(default=None, max_length=100)
    members: list[str] | None = Field(default=None, max_length=26)
    chairman: str | None = Field(default=None, max_length=300)
    reasoning: StageReasoning | None = None


class MessageCreate(BaseModel):
    content: str = Field(min_length=1, pattern=r"\S", description="Not empty or only spaces.")
    document_id: str | None = Field(
        default=None,
        max_length=64,
        description="With `section`: ask about one chapter of this attached document (reading "
        "mode), as `POST …/documents/{document_id}/sections/{section}/discuss` does.",
    )
    section: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="The position of a section in `document_id` (from its table of "
        "contents); the council discusses the chapter holding it, with the summaries of the "
        "chapters before it.",
    )

    mode: ModeName | None = Field(
        default=None,
        description="How the council deliberates on this question (default: the preset's): "
        "classic, select (the top-ranked answer, no chairman), answers (side by side, no "
        "review), revise (members revise after reading each other), self-moa (one model "
        "sampled several times).",
    )
    rounds: int | None = Field(
        default=None,
        ge=1,
        le=MAX_REVISION_ROUNDS,
        description="Revision rounds for mode revise (default: the preset's).",
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> MessageCreate:
        if (self.document_id is None) != (self.section is None):
            raise ValueError("document_id and section go together: give both or neither")
        return self


class PresetPublic(BaseModel):
    name: str
    description: str
    members: list[str]
    chairman: str
    chairman_fallbacks: list[str]
    fallbacks: dict[str, list[str]]
    title_model: str | None
    exclude_self_votes: bool
    mode: ModeName = Field(default="classic", description="How this preset's council deliberates.")
    revision_rounds: int = 1
    early_stop: bool = False


class CatalogueModelPublic(BaseModel):
    """A model as its provider lists it. Prices are US dollars per token (None: not stated)."""

    id: str = Field(description="The reference to configure (provider: prefix when not default).")
    name: str
    context_length: int | None
    prompt_price: float | None
    completion_price: float | None
    input_modalities: list[str]
    output_modalities: list[str]
    supported_parameters: list[str]
    deprecated: bool = Field(description="The provider has announced an end date.")
    expired: bool = Field(description="That date has passed: the id is retired.")
    expiration_date: date | None


class RetiredModelPublic(BaseModel):
    model: str
    reason: str
    suggestions: list[str] = Field(description="The closest current ids.")


class ModelsPublic(BaseModel):
    default_preset: str
    presets: list[PresetPublic]
    models: list[str]
    catalogue: list[CatalogueModelPublic] = Field(
        default_factory=list,
        description="The providers' model lists as last fetched (empty until the first fetch).",
    )
    retired: list[RetiredModelPublic] = Field(
        default_factory=list, description="Configured ids the provider has retired."
    )


class LimitsPublic(BaseModel):
    """What a client should check before it sends, so a refusal never surprises the person."""

    max_content_chars: int = Field(description="Characters of one message (413 past it)")
    max_request_chars: int = Field(description="Characters of one /v1 request's messages")
    document_context_chars: int = Field(
        description="Characters of documents sent with a question before sections are selected"
    )
    max_file_bytes: int = Field(description="The largest document accepted (413 past it)")
    max_image_bytes: int = Field(description="The largest image accepted (413 past it)")
    max_documents: int = Field(description="Documents and images one conversation may hold")
    accepted: str = Field(description="The kinds of file a conversation accepts")


class StatusPublic(BaseModel):
    version: str
    demo: bool
    demo_message: str | None
    simulator_url: str | None
    database: str
    default_preset: str
    providers: list[dict[str, Any]]
    active_runs: int
    privacy: dict[str, Any] | None = Field(
        default=None,
        description="Policies per preset, detected entity types, and whether names and places "
        "(NER) are detected.",
    )
    limits: LimitsPublic | None = Field(
        default=None, description="Sizes a client checks before sending (signed in only)"
    )


class ErrorDetail(BaseModel):
    """Every error answer's detail; some carry more (a failed council its ``failures``)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    problems: list[str] | None = Field(
        default=None, description="Validation errors (422): one line per problem, naming the field."
    )


class ErrorBody(BaseModel):
    detail: ErrorDetail


class OpenAIErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    """Errors under ``/v1``, in the OpenAI format."""

    error: OpenAIErrorDetail
