"""The ``[presets.*]`` sections: who sits on a council, how it deliberates, its effort and
budgets, prompts, resilience and privacy policy. A conversation names one (``council/spec.py``
resolves it into the council a run uses).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from llmcouncil.privacy.settings import DEFAULT_POLICY, PiiPolicy
from llmcouncil.resilience.settings import PresetResilienceSettings

MAX_MEMBERS = 26  # labels run from "Response A" to "Response Z"

# Four frontier models from four labs, as OpenRouter names them in late 2026; the chairman is
# one of them. The simulator lists these as current (sim/catalogue.py).
DEFAULT_MEMBERS = [
    "openai/gpt-5.4",
    "google/gemini-3.1-pro-preview",
    "anthropic/claude-sonnet-4.6",
    "x-ai/grok-4.20",
]
DEFAULT_CHAIRMAN = "google/gemini-3.1-pro-preview"
DEFAULT_TITLE_MODEL = "google/gemini-3-flash-preview"


# How a council deliberates (docs/MODES.md): see ``council/modes.py`` for each mode's steps.
ModeName = Literal["classic", "select", "answers", "revise", "self-moa"]
MODES: tuple[str, ...] = get_args(ModeName)
MAX_REVISION_ROUNDS = 3
ReasoningEffort = Literal["minimal", "low", "medium", "high"]


class ReasoningSettings(BaseModel):
    """A reasoning model's effort and budgets for one stage or one model; unset means the
    upstream's default. Sent in each provider's format (``ProviderSettings.reasoning_format``)."""

    effort: ReasoningEffort | None = None
    max_reasoning_tokens: int | None = Field(
        default=None, ge=1, description="Tokens the model may spend thinking."
    )
    max_output_tokens: int | None = Field(
        default=None, ge=1, description="Tokens of the whole reply (thinking included upstream)."
    )

    def merged(self, over: ReasoningSettings | None) -> ReasoningSettings:
        if over is None:
            return self
        return ReasoningSettings(
            effort=over.effort or self.effort,
            max_reasoning_tokens=over.max_reasoning_tokens or self.max_reasoning_tokens,
            max_output_tokens=over.max_output_tokens or self.max_output_tokens,
        )


class StageReasoning(BaseModel):
    """Per stage (reviewers rarely need high effort; the chairman may), then per model."""

    answers: ReasoningSettings = Field(default_factory=ReasoningSettings)
    reviews: ReasoningSettings = Field(default_factory=ReasoningSettings)
    chairman: ReasoningSettings = Field(default_factory=ReasoningSettings)
    models: dict[str, ReasoningSettings] = Field(
        default_factory=dict, description="Model → settings over its stage's."
    )


class StagePrompts(BaseModel):
    """Optional system prompts per stage; empty means none."""

    stage1: str = ""
    stage2: str = ""
    stage3: str = ""


class PresetSettings(BaseModel):
    members: list[str] = Field(default_factory=lambda: list(DEFAULT_MEMBERS))
    chairman: str = DEFAULT_CHAIRMAN
    title_model: str | None = DEFAULT_TITLE_MODEL
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict, description="Member model → models tried in order when it fails."
    )
    chairman_fallbacks: list[str] = Field(default_factory=list)
    system_prompts: StagePrompts = Field(default_factory=StagePrompts)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)
    exclude_self_votes: bool = True
    structured_rankings: bool = True
    mask_self_identification: bool = Field(
        default=True,
        description='Mask phrases such as "As Claude…" or "I am GPT" in what reviewers and the '
        "chairman see.",
    )
    description: str = ""
    mode: ModeName = Field(default="classic", description="How this council deliberates.")
    revision_rounds: int = Field(
        default=1, ge=1, le=MAX_REVISION_ROUNDS, description="Rounds of revision (mode revise)."
    )
    samples: int = Field(
        default=4, ge=2, le=MAX_MEMBERS, description="Answers the one model gives (self-moa)."
    )
    sample_model: str | None = Field(
        default=None, description="The model self-moa samples (default: the first member)."
    )
    sample_reviewers: Literal["members", "same"] = Field(
        default="members",
        description="Who reviews self-moa's samples: the members, or the sampled model itself.",
    )
    structured_synthesis: bool = Field(
        default=True,
        description="Ask the chairman for consensus, contradictions, gaps and confidence apart "
        "from its answer (a longer reply; off: plain text).",
    )
    early_stop: bool = Field(
        default=False,
        description="Skip the review when every member gives the same short answer; stop "
        "revising when a round changes nothing.",
    )
    reasoning: StageReasoning = Field(default_factory=StageReasoning)

    def model_refs(self, *, with_title: bool = True) -> list[str]:
        """Every model this preset may call: members, chairman, fallbacks (and the title model)."""
        refs = [*self.members, self.chairman, *self.chairman_fallbacks]
        refs += [m for chain in self.fallbacks.values() for m in chain]
        if self.sample_model:
            refs.append(self.sample_model)
        if with_title and self.title_model:
            refs.append(self.title_model)
        return list(dict.fromkeys(refs))

    resilience: PresetResilienceSettings = Field(default_factory=PresetResilienceSettings)
    pii_policy: PiiPolicy = Field(
        default=DEFAULT_POLICY,
        description="Personal data in what is sent upstream: redact (placeholders), block "
        "(refuse the message) or off. Secrets are redacted or refused under every policy.",
    )
