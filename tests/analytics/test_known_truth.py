"""Simulated councils with a known truth: the analytics find each scripted behaviour (its 95 %
interval excludes 0) and find nothing in an unbiased council (every interval includes 0).

The simulated upstream is told (``SimConfig.judging``) that one member's answers are better,
that one reviewer favours the answer shown first, one favours long answers and one favours its
own answer. Eighty councils of four, one after another with seeded run seeds: the same
rankings on every run of the test.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from support import MEMBERS

from llmcouncil.analytics import service
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import Estimate, ModelsReport, ReviewersReport
from llmcouncil.api.runtime import Runtime
from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.judging import JudgingConfig, ReviewerLeaning

COUNCILS = 80
GPT, GEMINI, CLAUDE, GROK = MEMBERS
BETTER = CLAUDE
FIRST_SHOWN, LONG, SELF = GPT, GEMINI, GROK
BIASED = JudgingConfig(
    answer_quality={BETTER: 0.35},
    reviewers={
        FIRST_SHOWN: ReviewerLeaning(first_position=0.5),
        LONG: ReviewerLeaning(long_answers=0.3),
        SELF: ReviewerLeaning(own_answer=0.6),
    },
)
UNBIASED = JudgingConfig()


async def councils(
    sim: SimServer,
    make_settings: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    judging: JudgingConfig,
) -> tuple[ModelsReport, ReviewersReport]:
    sim.configure(SimConfig.fast(base_ms=0).model_copy(update={"judging": judging}))
    # Every run's seed (labels, presentation orders) from one seeded sequence, drawn in order:
    # the councils, and so the figures, are the same on every run of the test.
    draws = random.Random(20261204)
    monkeypatch.setattr(secrets, "randbelow", lambda bound: draws.randrange(bound))
    runtime = await Runtime.start(make_settings())
    try:
        for number in range(COUNCILS):
            conversation = await runtime.store.create_conversation()
            handle = await runtime.runs.start(
                conversation_id=conversation.id,
                content=f"Question {number}: how should team {number} plan its releases?",
            )
            await handle.wait()
        await runtime.runs.settled()
        engine = runtime.store.engine
        return (
            await service.models(engine, AnalyticsFilter()),
            await service.reviewers(engine, AnalyticsFilter()),
        )
    finally:
        await runtime.stop()


def excludes_zero(estimate: Estimate, *, above: bool = True) -> bool:
    assert estimate.ci_low is not None and estimate.ci_high is not None
    return estimate.ci_low > 0 if above else estimate.ci_high < 0


def includes_zero(estimate: Estimate) -> bool:
    assert estimate.ci_low is not None and estimate.ci_high is not None
    return estimate.ci_low <= 0 <= estimate.ci_high


async def test_a_biased_council_is_found_out(
    sim: SimServer, make_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    models, reviewers = await councils(sim, make_settings, monkeypatch, BIASED)
    assert models.runs == COUNCILS and models.interval_method == "bootstrap_runs"
    strength = {row.model: row.strength for row in models.models}
    assert excludes_zero(strength[BETTER]), strength[BETTER]
    assert models.models[0].model == BETTER
    by = {row.model: row for row in reviewers.reviewers}
    assert excludes_zero(by[FIRST_SHOWN].position_bias), by[FIRST_SHOWN].position_bias
    assert by[FIRST_SHOWN].first_position_top.ci_low > by[FIRST_SHOWN].first_position_expected
    assert excludes_zero(by[LONG].length_bias), by[LONG].length_bias
    assert excludes_zero(by[LONG].length_bias_vs_council), by[LONG].length_bias_vs_council
    assert excludes_zero(by[SELF].self_preference), by[SELF].self_preference
    # Each reviewer without a leaning is not charged with one.
    for model in MEMBERS:
        if model != FIRST_SHOWN:
            assert includes_zero(by[model].position_bias), (model, by[model].position_bias)
        if model != SELF:
            assert includes_zero(by[model].self_preference), (model, by[model].self_preference)


async def test_an_unbiased_council_shows_nothing(
    sim: SimServer, make_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    models, reviewers = await councils(sim, make_settings, monkeypatch, UNBIASED)
    for row in models.models:
        assert includes_zero(row.strength), (row.model, row.strength)
    for row in reviewers.reviewers:
        assert row.position_bias.n >= COUNCILS * 0.9
        for name in ("position_bias", "self_preference", "length_bias"):
            assert includes_zero(getattr(row, name)), (row.model, name, getattr(row, name))
