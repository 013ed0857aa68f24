"""A saved preset keeps the reasoning effort and output budgets chosen per stage and per model
(``POST``/``GET /api/presets``) on SQLite and PostgreSQL; bad values are a 422 saving nothing."""

from __future__ import annotations

from typing import Any

from gov_support import Governed

COUNCIL = {"members": ["openai/gpt-5.4", "x-ai/grok-4.20"], "chairman": "openai/gpt-5.4"}


async def test_a_saved_preset_keeps_its_reasoning_and_a_resave_replaces_it(
    governed_on_database: Any,
) -> None:
    server: Governed = await governed_on_database()
    await server.user("ann")
    ann = await server.session("ann")
    reasoning = {
        "reviews": {"effort": "low", "max_output_tokens": 2000},
        "chairman": {"effort": "high"},
        "models": {"x-ai/grok-4.20": {"max_output_tokens": 8000}},
    }
    created = await ann.post(
        "/api/presets", json={"name": "thinking", "reasoning": reasoning, **COUNCIL}
    )
    assert created.status_code == 201, created.text
    [listed] = (await ann.get("/api/presets")).json()["presets"]
    kept = listed["reasoning"]
    assert kept["reviews"] == {
        "effort": "low",
        "max_reasoning_tokens": None,
        "max_output_tokens": 2000,
    }
    assert kept["chairman"]["effort"] == "high" and kept["chairman"]["max_output_tokens"] is None
    assert kept["answers"] == {
        "effort": None,
        "max_reasoning_tokens": None,
        "max_output_tokens": None,
    }
    assert kept["models"]["x-ai/grok-4.20"]["max_output_tokens"] == 8000

    # Saved again without reasoning: the upstream's defaults, nothing left of the old choice.
    again = await ann.post("/api/presets", json={"name": "thinking", **COUNCIL})
    assert again.status_code == 200
    cleared = (await ann.get("/api/presets")).json()["presets"][0]["reasoning"]
    assert cleared["models"] == {} and cleared["chairman"]["effort"] is None


async def test_bad_reasoning_is_a_422_naming_it_and_saves_nothing(
    governed_on_database: Any,
) -> None:
    server: Governed = await governed_on_database()
    await server.user("ann")
    ann = await server.session("ann")
    cases = [
        ({"chairman": {"effort": "extreme"}}, "effort"),
        ({"answers": {"max_output_tokens": 0}}, "max_output_tokens"),
        ({"models": {"anthropic/claude-opus-4.6": {"effort": "low"}}}, "not in this council"),
    ]
    for reasoning, expected in cases:
        response = await ann.post(
            "/api/presets", json={"name": "bad", "reasoning": reasoning, **COUNCIL}
        )
        assert response.status_code == 422, reasoning
        assert expected in response.text
    assert (await ann.get("/api/presets")).json()["presets"] == []
