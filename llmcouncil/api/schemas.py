"""Request and response models at the API boundary (the OpenAPI schema is built from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: str | None = Field(default=None, max_length=100)
    members: list[str] | None = Field(default=None, max_length=26)
    chairman: str | None = Field(default=None, max_length=300)


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    preset: str | None = Field(default=None, max_length=100)
    members: list[str] | None = Field(default=None, max_length=26)
    chairman: str | None = Field(default=None, max_length=300)


class MessageCreate(BaseModel):
    content: str


class ConversationSummaryPublic(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    message_count: int
    preset: str | None


class ConversationPublic(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    preset: str | None
    members: list[str] | None
    chairman: str | None
    messages: list[dict[str, Any]]


class CouncilResult(BaseModel):
    """The original's answer shape, plus run id, status, every failed model and usage."""

    stage1: list[dict[str, Any]]
    stage2: list[dict[str, Any]]
    stage3: dict[str, Any] | None
    metadata: dict[str, Any]
    errors: list[dict[str, Any]]
    run_id: str
    status: str
    error: dict[str, Any] | None
    usage: dict[str, Any]
    privacy: dict[str, Any] | None = Field(
        default=None, description="The privacy policy applied and redactions per entity type."
    )


class CancelResult(BaseModel):
    run_id: str
    status: Literal["cancelling", "not_running"]


class PresetPublic(BaseModel):
    name: str
    description: str
    members: list[str]
    chairman: str
    chairman_fallbacks: list[str]
    fallbacks: dict[str, list[str]]
    title_model: str | None
    exclude_self_votes: bool


class ModelsPublic(BaseModel):
    default_preset: str
    presets: list[PresetPublic]
    models: list[str]


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


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    detail: ErrorDetail
