"""Effort, thinking budget, output budget and seed as they leave for each upstream format, and
the thinking tokens an upstream reports, counted apart and within the priced output."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from support import CHAIRMAN, MEMBERS

from llmcouncil.config import ProviderSettings
from llmcouncil.providers.base import ChatMessage, CompletionRequest, ReasoningRequest, final
from llmcouncil.providers.openai_compat import OpenAICompatProvider
from llmcouncil.providers.reasoning_wire import guess_format
from llmcouncil.sim import SimConfig, SimServer


def request(**fields: object) -> CompletionRequest:
    return CompletionRequest(
        model="openai/gpt-5.4",
        messages=(ChatMessage("user", "Explain tides"),),
        timeout=10.0,
        first_token_timeout=5.0,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
async def adapters(sim: SimServer) -> AsyncIterator[dict[str, OpenAICompatProvider]]:
    made = {
        fmt: OpenAICompatProvider(name=fmt, base_url=sim.base_url, reasoning_format=fmt)
        for fmt in ("openrouter", "openai", "none")
    }
    try:
        yield made  # type: ignore[misc]
    finally:
        for adapter in made.values():
            await adapter.aclose()


@pytest.mark.parametrize(
    ("fmt", "reasoning", "expected"),
    [
        ("openrouter", ReasoningRequest(effort="high"), {"reasoning": {"effort": "high"}}),
        (
            "openrouter",
            ReasoningRequest(effort="high", max_tokens=2000),
            {"reasoning": {"max_tokens": 2000}},  # a budget is the more precise of the two
        ),
        ("openai", ReasoningRequest(effort="low", max_tokens=2000), {"reasoning_effort": "low"}),
        ("none", ReasoningRequest(effort="high"), {}),
    ],
)
async def test_reasoning_goes_out_in_each_upstream_format(
    adapters: dict[str, OpenAICompatProvider],
    sim: SimServer,
    fmt: str,
    reasoning: ReasoningRequest,
    expected: dict[str, object],
) -> None:
    await final(
        adapters[fmt].stream(request(reasoning=reasoning, max_tokens=500, seed=7), watched=False)
    )
    sent = sim.requests[-1].params
    budget = "max_completion_tokens" if fmt == "openai" else "max_tokens"
    assert sent == {**expected, budget: 500, "seed": 7}


async def test_without_reasoning_nothing_extra_is_sent(
    adapters: dict[str, OpenAICompatProvider], sim: SimServer
) -> None:
    await final(adapters["openai"].stream(request(max_tokens=300), watched=False))
    assert sim.requests[-1].params == {"max_tokens": 300}


def test_the_format_is_guessed_from_the_address() -> None:
    assert guess_format("https://openrouter.ai/api/v1") == "openrouter"
    assert guess_format("https://api.openai.com/v1") == "openai"
    assert guess_format("http://127.0.0.1:11434/v1") == "none"


async def test_thinking_tokens_are_counted_within_the_output(sim: SimServer) -> None:
    sim.configure(SimConfig.fast().model_copy(update={"reasoning": {"*": "reasoning"}}))
    adapter = OpenAICompatProvider(name="sim", base_url=sim.base_url)
    try:
        completion = await final(adapter.stream(request(), watched=False))
    finally:
        await adapter.aclose()
    usage = completion.usage
    assert completion.reasoning
    assert 0 < usage.reasoning_tokens < usage.completion_tokens


async def test_a_council_sends_each_stage_its_own_effort(
    make_settings: object, start_server: object, sim: SimServer
) -> None:
    reasoning = {
        "answers": {"effort": "medium", "max_output_tokens": 4000},
        "reviews": {"effort": "low"},
        "chairman": {"effort": "high", "max_reasoning_tokens": 8000},
        "models": {MEMBERS[0]: {"effort": "high"}},
    }
    settings = make_settings(preset={"reasoning": reasoning})  # type: ignore[operator]
    settings.providers["sim"] = ProviderSettings(
        base_url=sim.base_url,
        api_key_env=settings.providers["sim"].api_key_env,
        structured_output=True,
        reasoning_format="openrouter",
    )
    server = await start_server(settings)  # type: ignore[operator]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        cid = (await client.post("/api/conversations", json={})).json()["id"]
        response = await client.post(f"/api/conversations/{cid}/message", json={"content": "Hi"})
    assert response.status_code == 200
    sent = {(r.prompt_kind, r.model): r.params for r in sim.requests}
    assert sent[("answer", MEMBERS[0])] == {"reasoning": {"effort": "high"}, "max_tokens": 4000}
    assert sent[("answer", MEMBERS[1])] == {"reasoning": {"effort": "medium"}, "max_tokens": 4000}
    assert sent[("ranking", MEMBERS[1])] == {"reasoning": {"effort": "low"}}
    chair = next(params for (kind, _), params in sent.items() if kind == "chairman")
    assert chair == {"reasoning": {"max_tokens": 8000}}


async def test_a_conversation_s_own_reasoning_goes_over_its_preset_s(
    make_settings: object, start_server: object, sim: SimServer
) -> None:
    """The council picker's settings, kept with the conversation, are what its runs send: each
    stage it sets replaces the preset's, each model's settings join the preset's."""
    preset = {"answers": {"effort": "medium"}, "models": {MEMBERS[3]: {"effort": "low"}}}
    settings = make_settings(preset={"reasoning": preset})  # type: ignore[operator]
    settings.providers["sim"] = ProviderSettings(
        base_url=sim.base_url,
        api_key_env=settings.providers["sim"].api_key_env,
        structured_output=True,
        reasoning_format="openrouter",
    )
    server = await start_server(settings)  # type: ignore[operator]
    own = {"chairman": {"effort": "high"}, "models": {MEMBERS[0]: {"max_output_tokens": 900}}}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        created = await client.post(
            "/api/conversations",
            json={"members": list(MEMBERS), "chairman": CHAIRMAN, "reasoning": own},
        )
        assert created.status_code == 200, created.text
        assert created.json()["reasoning"] == own
        cid = created.json()["id"]
        response = await client.post(f"/api/conversations/{cid}/message", json={"content": "Hi"})
        assert response.status_code == 200
        stored = (await client.get(f"/api/conversations/{cid}")).json()
        assert stored["reasoning"] == own

        # A setting for a model outside the council, or an unknown effort, stores nothing.
        stranger = {"models": {"someone/else": {"effort": "low"}}}
        refused = await client.post(
            "/api/conversations",
            json={"members": list(MEMBERS), "chairman": CHAIRMAN, "reasoning": stranger},
        )
        assert refused.status_code == 422 and "someone/else" in refused.text
        bad = await client.patch(
            f"/api/conversations/{cid}", json={"reasoning": {"answers": {"effort": "wild"}}}
        )
        assert bad.status_code == 422
        changed = await client.patch(f"/api/conversations/{cid}", json={"reasoning": None})
        assert changed.status_code == 200 and changed.json()["reasoning"] is None
        listed = (await client.get("/api/conversations")).json()
        assert [c["id"] for c in listed] == [cid]  # the refused one was not stored
    sent = {(r.prompt_kind, r.model): r.params for r in sim.requests}
    assert sent[("answer", MEMBERS[0])] == {"reasoning": {"effort": "medium"}, "max_tokens": 900}
    assert sent[("answer", MEMBERS[3])] == {"reasoning": {"effort": "low"}}
    assert sent[("answer", MEMBERS[2])] == {"reasoning": {"effort": "medium"}}
    chair = next(params for (kind, _), params in sent.items() if kind == "chairman")
    assert chair == {"reasoning": {"effort": "high"}}
