"""/metrics counts how each stage-2 review was read and what people voted, after real councils
through the simulated upstream (one reviewer ignoring the requested format)."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from support import MEMBERS

from llmcouncil.feedback.service import Ballot, vote_kinds
from llmcouncil.observability.metrics import CouncilMetrics
from llmcouncil.observability.run_metrics import VoteMetrics
from llmcouncil.sim import FaultSpec, SimServer

REVIEWER = MEMBERS[2]
PARSE = "llmcouncil_review_parse_total"
VOTES = "llmcouncil_votes_total"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def unformatted(sim: SimServer, *, times: int | None) -> None:
    fault = FaultSpec(unformatted=True, prompt_kind="ranking", times=times)
    sim.configure(sim.config.model_copy(update={"faults": {REVIEWER: [fault]}}))


async def ask(client: httpx.AsyncClient, content: str) -> dict[str, Any]:
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": content})
    assert answer.status_code == 200, answer.text
    return {"cid": cid, **answer.json()}


async def test_review_parse_outcomes_with_and_without_a_repair_turn(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    unformatted(sim, times=1)  # the repair turn's reply is read
    await ask(client, "How do vaccines work?")
    samples = await scrape(client)
    others = len(MEMBERS) - 1
    assert value(samples, PARSE, status="ok", repaired="false") == others
    assert value(samples, PARSE, status="ok", repaired="true") == 1
    assert total(samples, PARSE) == len(MEMBERS)

    unformatted(sim, times=None)  # the repair turn ignores the format too
    await ask(client, "What is a black hole?")
    samples = await scrape(client)
    assert value(samples, PARSE, status="ok", repaired="false") == 2 * others
    assert value(samples, PARSE, status="ok", repaired="true") == 1
    assert value(samples, PARSE, status="failed", repaired="true") == 1
    assert value(samples, PARSE, status="failed", repaired="false") == 0
    assert total(samples, PARSE, status="partial") == 0


async def test_votes_are_counted_by_what_they_say(client: httpx.AsyncClient) -> None:
    result = await ask(client, "What is a hash table?")
    url = f"/api/conversations/{result['cid']}/runs/{result['run_id']}/vote"
    labels = sorted(result["metadata"]["label_to_model"])
    assert total(await scrape(client), VOTES) == 0

    ranked = {"ranking": list(reversed(labels)), "rating": "down", "council_wrong": True}
    assert (await client.put(url, json=ranked)).status_code == 200
    samples = await scrape(client)
    assert value(samples, VOTES, kind="rank") == 1
    assert value(samples, VOTES, kind="rating_down") == 1
    assert value(samples, VOTES, kind="wrong") == 1
    assert value(samples, VOTES, kind="prefer") == 0  # a ranking's first is not a second pick

    changed = await client.put(url, json={"preferred_label": labels[0], "rating": "up"})
    assert changed.status_code == 200
    refused = await client.put(url, json={"preferred_label": "Response Z"})
    assert refused.status_code == 422
    samples = await scrape(client)
    assert value(samples, VOTES, kind="prefer") == 1
    assert value(samples, VOTES, kind="rating_up") == 1
    assert total(samples, VOTES) == 5  # the refused vote is not counted


def test_vote_kinds_of_each_ballot() -> None:
    assert vote_kinds(Ballot(preferred_label="Response A")) == ["prefer"]
    assert vote_kinds(Ballot(preferred_label="Response A", ranking=["Response A"])) == ["rank"]
    assert vote_kinds(Ballot(rating="up", council_wrong=True)) == ["rating_up", "wrong"]
    metrics = CouncilMetrics()
    VoteMetrics(metrics).vote_cast(Ballot(rating="down"))
    assert metrics.registry.get_sample_value(VOTES, {"kind": "rating_down"}) == 1
    assert metrics.registry.get_sample_value(VOTES, {"kind": "prefer"}) is None
