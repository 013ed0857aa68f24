"""The ``[audit]`` section of the configuration."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AuditSettings(BaseModel):
    include_prompts: bool = Field(
        default=False, description="Store the question text in run records (off: counts only)."
    )
    key_env: str | None = Field(
        default=None,
        description="Environment variable with a secret: the chain then uses HMAC-SHA256, so "
        "someone who can write the database cannot recompute it.",
    )
