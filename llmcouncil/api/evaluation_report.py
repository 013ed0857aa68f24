"""An evaluation's report as the API shows it (``GET /api/evaluations/{id}/report``).

``evaluation/report.py`` builds the report once, as the JSON stored with the evaluation; these
shapes describe it for clients (the web UI's types are generated from them) and validate it at
the edge. A report stored by an older version may lack a field added since: each addition has a
default, and fields this schema does not know pass through.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    # Served through the model, so every field with a default is present in what clients get:
    # the response schema says so.
    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)


class IntervalPublic(_Open):
    """A share with its paired-bootstrap 95% confidence interval."""

    value: float
    low: float
    high: float


class ComparisonPublic(_Open):
    """The baseline against one strategy over a set of questions: +1 win, 0 tie, −1 loss."""

    n: int
    wins: int
    ties: int
    losses: int
    win_rate: IntervalPublic
    tie_rate: IntervalPublic
    loss_rate: IntervalPublic
    net: IntervalPublic = Field(description="Wins minus losses, per question.")


class StrategyComparison(_Open):
    strategy: str
    overall: ComparisonPublic
    by_category: dict[str, ComparisonPublic] = Field(default_factory=dict)


class LatencySummary(_Open):
    mean: float | None = None
    median: float | None = None
    max: float | None = None


class Spend(_Open):
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = Field(default=None, description="Null when no price is known.")


class StrategyRow(Spend):
    """What one strategy answered and cost over every question."""

    strategy: str
    answered: int
    failed: int
    tokens_per_question: float = 0.0
    cost_per_question: float | None = None
    latency_ms: LatencySummary = Field(default_factory=LatencySummary)


class JudgeRow(_Open):
    judge: str
    judgements: int = 0
    position_consistency: float | None = Field(
        default=None, description="Share of questions judged the same in both orders."
    )


class PanelAgreement(_Open):
    fleiss_kappa: float | None = None
    percent: float | None = None
    subjects: int = 0


class Judging(_Open):
    judges: list[JudgeRow] = Field(default_factory=list)
    position_consistency: float | None = None
    agreement: PanelAgreement = Field(default_factory=PanelAgreement)
    spend: Spend = Field(default_factory=Spend)


class ReportEvaluation(_Open):
    id: str
    name: str
    questions: int
    categories: list[str] = Field(default_factory=list)
    strategies: list[str] = Field(default_factory=list)
    judges: list[str] = Field(default_factory=list)
    simulated: bool = False


class QuestionRow(_Open):
    index: int
    category: str
    question: str = Field(default="", description="The question, cut at 300 characters.")
    outcomes: dict[str, int] = Field(
        default_factory=dict, description="Per strategy: +1 the baseline won, 0 tie, −1 lost."
    )


class EvaluationReport(_Open):
    """The baseline (the first strategy) against every other, and what each strategy cost."""

    evaluation: ReportEvaluation
    simulated: bool = False
    baseline: str
    comparisons: list[StrategyComparison] = Field(default_factory=list)
    strategies: list[StrategyRow] = Field(default_factory=list)
    judging: Judging = Field(default_factory=Judging)
    per_question: list[QuestionRow] = Field(default_factory=list)
