"""``/v1/chat/completions`` with the ``mode`` extension: the mode that ran, its answer, and the
structured synthesis in the ``council`` field."""

from __future__ import annotations

import json

import httpx
from support import MEMBERS, LiveServer

from llmcouncil.sim import FaultSpec, SimServer


async def test_mode_select_answers_with_the_top_ranked_answer(
    server: LiveServer, client: httpx.AsyncClient, sim: SimServer
) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={
            "model": "council/default",
            "mode": "select",
            "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    council = body["council"]
    assert council["mode"] == "select"
    assert council["stage3"]["kind"] == "selected"
    chosen = council["stage3"]["selected_model"]
    assert body["choices"][0]["message"]["content"] == next(
        a["response"] for a in council["stage1"] if a["model"] == chosen
    )
    assert "chairman" not in {r.prompt_kind for r in sim.requests}


async def test_classic_returns_the_structured_synthesis(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "council", "messages": [{"role": "user", "content": "Why tides?"}]},
    )
    council = response.json()["council"]
    assert council["mode"] == "classic"
    assert council["structured"]["confidence"]["level"] in ("high", "medium")
    assert "<council_structure>" not in response.json()["choices"][0]["message"]["content"]


async def test_mode_answers_puts_every_answer_in_the_message(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={
            "model": "council",
            "mode": "answers",
            "messages": [{"role": "user", "content": "Compare"}],
        },
    )
    content = response.json()["choices"][0]["message"]["content"]
    assert all(f"### {m}" in content for m in MEMBERS)


async def test_an_unknown_mode_is_a_400_in_openai_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json={"model": "council", "mode": "debate", "messages": [{"role": "user", "content": "x"}]},
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


async def test_a_final_answer_cut_by_its_limit_finishes_with_length(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    sim.configure(
        sim.config.model_copy(
            update={"faults": {"*": [FaultSpec(length=10, prompt_kind="chairman")]}}
        )
    )
    body = {"model": "council", "messages": [{"role": "user", "content": "Why tides?"}]}
    plain = (await client.post("/v1/chat/completions", json=body)).json()
    assert plain["choices"][0]["finish_reason"] == "length"
    streamed = await client.post("/v1/chat/completions", json={**body, "stream": True})
    finishes = [
        json.loads(line[6:])["choices"][0]["finish_reason"]
        for line in streamed.text.splitlines()
        if line.startswith("data: {") and '"finish_reason": "' in line
    ]
    assert finishes == ["length"]
