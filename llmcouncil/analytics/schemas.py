"""The analytics reports' shapes, as the API and ``council analytics --json`` give them.

Every figure is an ``Estimate``: the value, its 95 % interval where one is meaningful, the
sample size it rests on, and ``small_sample`` when that is under ``SMALL_SAMPLE`` (shown, not
hidden). No report holds prompt, answer or comment text: only model names, presets, labels and
numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from llmcouncil.analytics.stats import Interval

SMALL_SAMPLE = 20


class Estimate(BaseModel):
    value: float | None = Field(description="The point estimate (null: no data)")
    ci_low: float | None = Field(default=None, description="95 % interval, low end")
    ci_high: float | None = Field(default=None, description="95 % interval, high end")
    n: int = Field(description="Sample size the figure rests on (what is counted is documented)")
    small_sample: bool = Field(description=f"n < {SMALL_SAMPLE}: read with care")

    @classmethod
    def of(cls, interval: Interval | None, n: int) -> Estimate:
        if interval is None:
            return cls(value=None, n=n, small_sample=n < SMALL_SAMPLE)
        return cls(
            value=interval.estimate,
            ci_low=interval.low,
            ci_high=interval.high,
            n=n,
            small_sample=n < SMALL_SAMPLE,
        )

    @classmethod
    def bare(cls, value: float | None, n: int) -> Estimate:
        return cls(value=value, n=n, small_sample=n < SMALL_SAMPLE)


class AppliedFilters(BaseModel):
    preset: str | None
    model: str | None
    since: datetime | None
    until: datetime | None
    user_id: str | None = Field(
        description="Whose runs: set for members (their own), else the filter"
    )


IntervalMethod = Literal["bootstrap_runs", "wald"]


class AnswererRow(BaseModel):
    model: str
    answers: int = Field(description="Answers it gave in the filtered runs")
    strength: Estimate = Field(
        description="Bradley–Terry log-strength from peer reviews (mean 0); n = comparisons"
    )
    length_controlled_strength: Estimate = Field(
        description="The same fit with the answers' log length ratio as a covariate"
    )
    human_strength: Estimate = Field(
        description="Bradley–Terry log-strength from people's votes; n = comparisons"
    )
    win_rate: Estimate = Field(description="Share of peer comparisons won (ties half); Wilson")
    top_rate: Estimate = Field(description="Share of its runs where the council ranked it first")
    human_pick_rate: Estimate = Field(description="Share of votes on its runs that picked it")
    first_place_votes: int


class ChairmanRow(BaseModel):
    model: str
    rated_up: Estimate = Field(description="Share of ratings of its synthesis that were up")


class ModelsReport(BaseModel):
    filters: AppliedFilters
    runs: int
    interval_method: IntervalMethod = Field(
        description="bootstrap_runs: percentile bootstrap resampling whole runs (up to "
        "500 runs); wald: normal intervals from the fit's observed information"
    )
    length_effect: Estimate = Field(
        description="Log-odds of winning per doubling of an answer's length relative to the "
        "other, all reviewers together (the length-controlled fit's covariate)"
    )
    models: list[AnswererRow]
    chairmen: list[ChairmanRow]


class ParseRow(BaseModel):
    ok: int
    partial: int
    failed: int
    failure_rate: Estimate
    repair_rate: Estimate = Field(description="Share of reviews that needed a repair turn")
    repair_success: Estimate = Field(description="Share of repair turns that gave a ranking")


class ReviewerRow(BaseModel):
    model: str
    reviews: int
    counted: int
    position_bias: Estimate = Field(
        description="Mean Spearman rho between the place an answer was shown and its rank "
        "(> 0: answers shown earlier are ranked better); n = counted reviews"
    )
    first_position_top: Estimate = Field(
        description="Share of counted reviews ranking the first-shown answer top"
    )
    first_position_expected: float | None = Field(
        description="That share if position did not matter (mean of 1/answers)"
    )
    self_preference: Estimate = Field(
        description="Mean of (its win rate for its own answer − disinterested reviewers' win "
        "rate for the same answer, same pairs); > 0: it favours itself"
    )
    length_bias: Estimate = Field(
        description="Mean Spearman rho between answer length and its ranking (> 0: favours "
        "longer answers; its own answer left out)"
    )
    length_bias_kendall: Estimate
    length_bias_vs_council: Estimate = Field(
        description="Its length bias minus the mean of all reviewers' (controls for quality "
        "that goes with length)"
    )
    agreement: Estimate = Field(
        description="Mean Spearman rho with the other reviewers' mean ranks"
    )
    parse: ParseRow


class ReviewersReport(BaseModel):
    filters: AppliedFilters
    runs: int
    reviewers: list[ReviewerRow]


class GroupAgreement(BaseModel):
    key: str | None
    council_top_picked: Estimate


class ReviewerAgreement(BaseModel):
    model: str
    agrees_with_people: Estimate = Field(
        description="Share of votes where this reviewer's top answer is the person's pick"
    )
    weight: float | None = Field(
        description="The weight this reviewer would get in aggregates weighted by agreement "
        "with people (its share relative to the mean; 1 = average)"
    )
    applied_weight: float | None = Field(
        default=None,
        description="With weighting on: the weight new runs give this reviewer now (from every "
        "vote of the deployment, within the configured bounds; 1 below the minimum of votes). "
        "Null when weighting is off.",
    )


class AgreementReport(BaseModel):
    filters: AppliedFilters
    votes: int
    council_top_picked: Estimate = Field(
        description="Share of votes whose pick is the council's top answer; Wilson interval"
    )
    by_preset: list[GroupAgreement]
    over_time: list[GroupAgreement] = Field(description="key: the period's first day (UTC)")
    period: Literal["day", "week", "month"]
    rated_up: Estimate
    council_wrong: Estimate = Field(description="Share of votes saying the council got it wrong")
    reviewers: list[ReviewerAgreement]
    weighting_enabled: bool = Field(
        description="Whether future aggregates weight reviewers by these weights (off by default)"
    )


class ModelCostRow(BaseModel):
    model: str
    role: Literal["answer", "review", "synthesis"]
    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    mean_cost: float | None
    mean_latency_ms: float | None


class PresetCostRow(BaseModel):
    preset: str | None
    runs: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    mean_cost: float | None
    mean_duration_ms: float | None


class CostsReport(BaseModel):
    filters: AppliedFilters
    by_model: list[ModelCostRow]
    by_preset: list[PresetCostRow]
