"""What a council run looks like at the API boundary: each stage's items, the run's metadata, a
conversation with its turns, the result of a run, continue and cancel. Shapes that document
their fields and pass additions through unchanged (``_Open``), so a field a newer server adds
reaches older clients as it is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.schemas import ConversationSource
from llmcouncil.presets.settings import ModeName, StageReasoning


class _Open(BaseModel):
    """A response shape that documents its fields and passes additions through unchanged."""

    model_config = ConfigDict(extra="allow")


class CallUsagePublic(_Open):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int | None = None
    cost: float | None = None
    reasoning_tokens: int | None = Field(
        default=None, description="Of completion_tokens, those spent thinking (priced as output)."
    )


class _CallFields(_Open):
    answered_by: str | None = None
    fallback_from: str | None = None
    fallback_reason: str | None = None
    usage: CallUsagePublic = Field(default_factory=CallUsagePublic)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    finish_reason: str | None = None
    simulated: bool = False


_REASONING = Field(
    default=None,
    description="The model's reasoning (reasoning fields, <think> blocks), shown on request; "
    "never sent to another model nor read as a ranking.",
)


class Stage1Answer(_CallFields):
    model: str
    response: str
    reasoning: str | None = _REASONING
    round: int | None = Field(
        default=None, description="Mode revise: 0 for the first answer, then the revision round."
    )


class VotePublic(_Open):
    counted: Literal["full", "partial", "none"] = Field(
        description="full: a complete ranking; partial: a top-k ranking, counted as what it "
        "says; none: not counted."
    )
    note: str = ""


class RepairPublic(_Open):
    asked: bool = True
    reply: str = Field(description="The reviewer's reply when asked again for its ranking.")
    status: str = Field(description="How that reply parsed: ok, partial or failed.")


class Stage2Review(_CallFields):
    model: str
    ranking: str = Field(description="The reviewer's full text.")
    parsed_ranking: list[str] = Field(description="Labels, best first (tiers flattened).")
    parsed_tiers: list[list[str]] = Field(
        default_factory=list, description="Best first; a tier of several labels is a tie."
    )
    parse_status: Literal["ok", "partial", "no_header", "failed"] | None = Field(
        default=None, description='"no_header" only in runs stored by older versions.'
    )
    parse_reason: str | None = Field(default=None, description="Why failed or only partial.")
    parse_conflict: str | None = Field(
        default=None, description="The JSON and a later text ranking disagreed; the last won."
    )
    parse_issues: list[str] = Field(default_factory=list)
    parse_source: Literal["json", "text"] | None = None
    presentation_order: list[str] = Field(default_factory=list)
    own_label: str | None = Field(
        default=None, description="The label of the answer written by the model that reviewed."
    )
    vote: VotePublic | None = Field(default=None, description="Null until aggregated.")
    repair: RepairPublic | None = Field(
        default=None, description="The one repair turn, when the review's ranking failed."
    )
    reasoning: str | None = _REASONING


class ContradictionPosition(BaseModel):
    responses: list[str] = Field(description='Labels as the chairman saw them ("Response A").')
    models: list[str] = Field(default_factory=list, description="The models behind the labels.")
    says: str = ""


class Contradiction(BaseModel):
    point: str
    positions: list[ContradictionPosition] = Field(default_factory=list)


class SynthesisConfidence(BaseModel):
    level: Literal["high", "medium", "low"] | None = None
    justification: str = ""


class StructuredSynthesis(BaseModel):
    """Where the answers agree and contradict each other, what none covered, and how sure the
    chairman is, read from its reply."""

    consensus: list[str] = Field(default_factory=list)
    contradictions: list[Contradiction] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list, description="What no answer covered.")
    confidence: SynthesisConfidence = Field(default_factory=SynthesisConfidence)


class EarlyStopPublic(_Open):
    kind: Literal["unanimous", "unchanged"]
    reason: str
    round: int | None = Field(default=None, description='For "unchanged": the revision round.')


class Stage3Final(_CallFields):
    model: str | None = Field(description="The chairman; null when every chairman failed.")
    response: str
    reasoning: str | None = _REASONING
    degraded: bool = False
    degraded_reason: str | None = None
    top_ranked_model: str | None = None
    kind: Literal["synthesis", "degraded", "selected", "answers", "unanimous"] | None = Field(
        default=None,
        description="synthesis (the chairman's), degraded (every chairman failed), selected "
        "(mode select: the top-ranked answer verbatim), answers (mode answers: see stage1), "
        "unanimous (early stop: every member gave this short answer). Null in older runs.",
    )
    structured: StructuredSynthesis | None = Field(
        default=None, description="The synthesis's structured part; null when absent."
    )
    structured_note: str | None = Field(
        default=None, description="Why a synthesis has no structured part."
    )
    selected_model: str | None = None
    selected_label: str | None = None
    review_summary: str | None = Field(
        default=None, description="Mode select: how the reviewers placed the selected answer."
    )
    early_stop: EarlyStopPublic | None = Field(
        default=None, description="Why the run ended before its review or revisions."
    )


class ModelErrorPublic(_Open):
    stage: int
    model: str
    kind: str
    message: str
    status: int | None = None


class AggregateRowPublic(_Open):
    model: str
    label: str | None = None
    average_rank: float | None = None
    rankings_count: int = 0
    first_place_votes: int = 0
    self_rank_average: float | None = None
    strength: float | None = Field(
        default=None, description="Bradley-Terry log-strength, mean 0 over ranked answers."
    )
    ci_low: float | None = Field(default=None, description="95 % bootstrap interval, low end.")
    ci_high: float | None = None
    wins: float | None = Field(default=None, description="Pairwise wins; a tie counts 0.5.")
    comparisons: int | None = None


class OriginalAggregateRow(_Open):
    model: str
    average_rank: float
    rankings_count: int


class AgreementPublic(_Open):
    kendall_w: float | None = None
    mean_pairwise_tau: float | None = None
    reviewers: int = 0
    self_votes_excluded: bool = True
    self_preference: float | None = None
    self_preference_by_reviewer: list[dict[str, Any]] = Field(default_factory=list)


class VoteUsePublic(_Open):
    reviewer: str
    counted: Literal["full", "partial", "none"]
    note: str = ""


class AggregationPublic(_Open):
    method: str = Field(default="bradley_terry", description="How the votes were combined.")
    bootstrap_rounds: int
    confidence: float = Field(description="The intervals' coverage (0.95).")
    counted_reviewers: int
    reviewer_weights: dict[str, float] = Field(
        default_factory=dict, description="Reviewer → the weight applied, for those other than 1."
    )


class PrivacySummaryPublic(_Open):
    policy: str = Field(description="The privacy policy applied (redact, block, off …).")
    redactions: dict[str, int] = Field(
        default_factory=dict, description="Values replaced, per entity type."
    )


class RunMetadata(_Open):
    """Empty until stage 2 completes."""

    label_to_model: dict[str, str] = Field(default_factory=dict)
    aggregate_rankings: list[OriginalAggregateRow] = Field(default_factory=list)
    aggregate: list[AggregateRowPublic] = Field(default_factory=list)
    agreement: AgreementPublic | None = None
    self_votes_excluded: bool | None = None
    ranking_skipped: bool | None = None
    ranking_skipped_reason: str | None = None
    no_clear_winner: bool | None = Field(
        default=None, description="The top answer's interval overlaps the second's."
    )
    winner_label: str | None = None
    winner_note: str | None = Field(
        default=None, description="How clear the top is, in a sentence."
    )
    aggregation: AggregationPublic | None = None
    votes: list[VoteUsePublic] = Field(default_factory=list)
    seed: int | None = None
    preset: str | None = None
    members: list[str] | None = None
    chairman: str | None = None
    mode: ModeName | None = Field(default=None, description="Set for every mode but classic.")
    early_stop: EarlyStopPublic | None = None


class UserMessagePublic(_Open):
    role: Literal["user"]
    id: str
    content: str
    created_at: str | None = None


class AssistantMessagePublic(_Open):
    role: Literal["assistant"]
    run_id: str
    status: Literal["running", "complete", "failed", "cancelled", "interrupted"]
    stage1: list[Stage1Answer]
    stage2: list[Stage2Review]
    stage3: Stage3Final | None
    metadata: RunMetadata
    errors: list[ModelErrorPublic]
    error: dict[str, Any] | None = None
    mode: ModeName = "classic"
    stage1_rounds: list[list[Stage1Answer]] = Field(
        default_factory=list, description="Mode revise: every round's answers, first to last."
    )
    stages_done: int = 0
    attempts: int = 1
    simulated: bool = False
    usage: CallUsagePublic = Field(default_factory=CallUsagePublic)
    created_at: str | None = None
    finished_at: str | None = None


MessagePublic = Annotated[UserMessagePublic | AssistantMessagePublic, Field(discriminator="role")]


class ConversationSummaryPublic(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    message_count: int
    preset: str | None
    source: ConversationSource = "web"


class ConversationPublic(BaseModel):
    id: str
    created_at: str
    updated_at: str
    title: str
    preset: str | None
    members: list[str] | None
    chairman: str | None
    reasoning: StageReasoning | None = None
    messages: list[MessagePublic]


class CouncilResult(BaseModel):
    """The original's answer shape, plus run id, status, every failed model and usage."""

    stage1: list[Stage1Answer]
    stage2: list[Stage2Review]
    stage3: Stage3Final | None
    metadata: RunMetadata
    errors: list[ModelErrorPublic]
    run_id: str
    status: str
    error: dict[str, Any] | None
    usage: CallUsagePublic
    privacy: PrivacySummaryPublic | None = Field(
        default=None, description="The privacy policy applied and redactions per entity type."
    )
    mode: ModeName = "classic"
    stage1_rounds: list[list[Stage1Answer]] = Field(default_factory=list)


class ContinueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Literal[1, 3] = Field(description="1: a member's answer; 3: the final answer.")
    model: str = Field(min_length=1, max_length=300, description="The model whose answer was cut.")


class ContinueResult(BaseModel):
    """The answer as it now reads, after the same model finished it."""

    stage: int
    model: str
    response: str
    finish_reason: str | None = Field(
        default=None, description='"length" again when the continuation was cut too.'
    )
    usage: CallUsagePublic


class CancelResult(BaseModel):
    run_id: str
    status: Literal["cancelling", "not_running"]
