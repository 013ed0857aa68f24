"""The saved presets' API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from llmcouncil.presets.settings import MAX_MEMBERS, StageReasoning

MAX_MODEL_ID = 300


class SavedPresetCreate(BaseModel):
    """A council to keep under a name; a name already used in the same place is replaced."""

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    members: list[str] = Field(min_length=1, max_length=MAX_MEMBERS)
    chairman: str = Field(min_length=1, max_length=MAX_MODEL_ID)
    mode: str | None = Field(
        default=None, max_length=50, description="The deliberation mode, stored as given."
    )
    shared: bool = Field(default=False, description="For everyone (administrators only).")
    reasoning: StageReasoning = Field(
        default_factory=StageReasoning,
        description="Reasoning effort and token budgets per stage (answers, reviews, chairman) "
        "and per model of this council (models: over its stage's); unset: the upstream's "
        "default.",
    )

    @field_validator("name", "chairman")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        members = [m.strip() for m in value]
        if any(not m or len(m) > MAX_MODEL_ID for m in members):
            raise ValueError(f"every member is a model id of 1 to {MAX_MODEL_ID} characters")
        if len(set(members)) != len(members):
            raise ValueError("a member is listed twice")
        return members

    @model_validator(mode="after")
    def _reasoning_of_its_models(self) -> SavedPresetCreate:
        strangers = sorted(set(self.reasoning.models) - {*self.members, self.chairman})
        if strangers:
            raise ValueError(f"reasoning is set for {', '.join(strangers)}, not in this council")
        return self


class SavedPresetPublic(BaseModel):
    id: str
    name: str
    description: str
    members: list[str]
    chairman: str
    mode: str | None
    reasoning: StageReasoning
    shared: bool
    mine: bool = Field(description="Saved by the caller (a personal preset, or a shared one).")
    created_by: str
    created_at: datetime
    updated_at: datetime


class SavedPresetList(BaseModel):
    presets: list[SavedPresetPublic]
