"""Reviewers weighted by their agreement with people (off by default): the weights come from
the votes, only reviewers with enough votes depart from 1, new runs' leaderboards apply them
and say so, and the agreement report shows the weights in use. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from support import MEMBERS

from llmcouncil.analytics.schemas import Estimate, ReviewerAgreement
from llmcouncil.analytics.settings import ReviewerWeightingSettings
from llmcouncil.analytics.weighting import weights_from
from llmcouncil.api.runtime import Runtime
from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.judging import JudgingConfig, ReviewerLeaning

GPT = MEMBERS[0]


def row(model: str, weight: float | None, n: int) -> ReviewerAgreement:
    return ReviewerAgreement(model=model, agrees_with_people=Estimate.bare(0.5, n), weight=weight)


def test_weights_need_enough_votes_and_stay_within_bounds() -> None:
    settings = ReviewerWeightingSettings(enabled=True, min_votes=10, low=0.5, high=2.0)
    rows = [
        row("few", 3.0, 9),
        row("strong", 3.0, 10),
        row("weak", 0.1, 40),
        row("mild", 1.3, 40),
        row("average", 1.0, 40),
        row("unknown", None, 40),
    ]
    assert weights_from(rows, settings) == {"strong": 2.0, "weak": 0.5, "mild": 1.3}


def test_bounds_must_hold_one() -> None:
    with pytest.raises(ValueError, match="low must be at most 1"):
        ReviewerWeightingSettings(low=1.5)


def top_of(result: dict[str, Any], reviewer: str) -> str:
    [review] = [item for item in result["stage2"] if item["model"] == reviewer]
    return str(review["parsed_ranking"][0])


async def ask(client: httpx.AsyncClient) -> dict[str, Any]:
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "How should a team plan releases?"}
    )
    assert answer.status_code == 200, answer.text
    return {"cid": cid, **answer.json()}


async def test_people_s_votes_weight_the_reviewers_of_new_runs(
    sim: SimServer, make_settings: Any, start_server: Any, database_url: str
) -> None:
    # One reviewer ranks whatever it is shown first on top, so its pick differs from the rest.
    sim.configure(
        SimConfig.fast().model_copy(
            update={"judging": JudgingConfig(reviewers={GPT: ReviewerLeaning(first_position=3.0)})}
        )
    )
    weighting = ReviewerWeightingSettings(enabled=True, min_votes=1, refresh=3600)
    live = await start_server(
        make_settings(
            database_url=database_url,
            reviewer_weighting=weighting,
            privacy={"key": Fernet.generate_key().decode()},  # needed beside PostgreSQL
        )
    )
    runtime: Runtime = live.app.state.runtime
    assert runtime.reviewer_weights is not None
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        first = await ask(client)
        assert first["metadata"]["aggregation"]["reviewer_weights"] == {}  # no votes yet
        # The person always prefers what GPT put first; ask until another reviewer disagreed.
        disagreed = False
        for result in [first, *[await ask(client) for _ in range(9)]]:
            pick = top_of(result, GPT)
            disagreed |= any(top_of(result, other) != pick for other in MEMBERS[1:])
            vote = await client.put(
                f"/api/conversations/{result['cid']}/runs/{result['run_id']}/vote",
                json={"preferred_label": pick},
            )
            assert vote.status_code == 200, vote.text
            if disagreed:
                break
        assert disagreed

        weights = await runtime.reviewer_weights.refresh()
        assert weights[GPT] > 1.0  # it agreed with the person every time, others did not
        assert all(weights.get(m, 1.0) <= weights[GPT] for m in MEMBERS)

        later = await ask(client)
        aggregation = later["metadata"]["aggregation"]
        assert aggregation["reviewer_weights"][GPT] == weights[GPT]
        notes = {v["reviewer"]: v["note"] for v in later["metadata"]["votes"]}
        assert f"Weighted ×{weights[GPT]:.2f}" in notes[GPT]

        report = (await client.get("/api/analytics/agreement")).json()
        assert report["weighting_enabled"] is True
        applied = {r["model"]: r["applied_weight"] for r in report["reviewers"]}
        assert applied[GPT] == weights[GPT]
        assert all(applied[m] == weights.get(m, 1.0) for m in applied)


async def test_weighting_is_off_by_default(client: httpx.AsyncClient) -> None:
    result = await ask(client)
    assert result["metadata"]["aggregation"]["reviewer_weights"] == {}
    report = (await client.get("/api/analytics/agreement")).json()
    assert report["weighting_enabled"] is False
    assert all(r["applied_weight"] is None for r in report["reviewers"])
