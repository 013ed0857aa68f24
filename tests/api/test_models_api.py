"""``GET /api/models`` (presets and the catalogue, by role policy) and saved presets
(``GET``/``POST``/``DELETE /api/presets``) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from gov_support import Governed
from support import CHAIRMAN, MEMBERS, LiveServer

from llmcouncil.presets.settings import PresetSettings

RETIRED = "openai/gpt-4.5-preview"  # the simulator lists it with a past expiration date


async def catalogue_ready(live: LiveServer | Governed) -> None:
    """The background refresh may not have run yet: fetch the list once, now."""
    runtime = live.runtime
    await runtime.registry.refresh_catalogue(runtime.settings.model_refs())


async def test_the_catalogue_has_prices_context_modalities_and_a_search(
    make_settings: Any, start_server: Any
) -> None:
    presets = {
        "default": PresetSettings(members=list(MEMBERS), chairman=CHAIRMAN),
        "old": PresetSettings(members=[RETIRED, MEMBERS[0]], chairman=MEMBERS[0]),
    }
    live = await start_server(make_settings(presets=presets))
    await catalogue_ready(live)
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        body = (await client.get("/api/models")).json()
        found = (await client.get("/api/models", params={"q": "GEMINI pro"})).json()
        nothing = (await client.get("/api/models", params={"q": "no such model"})).json()
        too_long = await client.get("/api/models", params={"q": "x" * 201})

    by_id = {m["id"]: m for m in body["catalogue"]}
    chairman = by_id["google/gemini-3.1-pro-preview"]
    assert chairman["name"] == "Google: Gemini 3.1 Pro Preview"
    assert chairman["context_length"] >= 1_000_000
    assert chairman["prompt_price"] > 0 and chairman["completion_price"] > 0
    assert "image" in chairman["input_modalities"] and not chairman["deprecated"]
    assert by_id["google/gemini-2.0-flash-001"]["deprecated"]
    assert not by_id["google/gemini-2.0-flash-001"]["expired"]
    assert by_id[RETIRED]["expired"] and by_id[RETIRED]["expiration_date"]
    assert body["catalogue"][-1]["expired"]  # retired ones last
    assert [r["model"] for r in body["retired"]] == [RETIRED]
    assert body["retired"][0]["suggestions"][0].startswith("openai/")
    assert {m["id"] for m in found["catalogue"]} >= {
        "google/gemini-3.1-pro-preview",
        "google/gemini-3-pro-preview",
    }
    assert all("gemini" in m["id"] and "pro" in m["id"] for m in found["catalogue"])
    assert found["presets"] == body["presets"]  # q filters the catalogue only
    assert nothing["catalogue"] == []
    assert too_long.status_code == 422


async def test_a_member_sees_and_saves_only_what_their_policy_allows(governed: Any) -> None:
    server: Governed = await governed(
        presets={
            "default": PresetSettings(members=list(MEMBERS), chairman=CHAIRMAN),
            "openai": PresetSettings(
                members=["openai/gpt-5.1"], chairman="openai/gpt-5.1", title_model=None
            ),
            # The title model receives the question too: outside mia's policy.
            "titled": PresetSettings(members=["openai/gpt-5.1"], chairman="openai/gpt-5.1"),
        }
    )
    await catalogue_ready(server)
    await server.user("root", role="admin")
    await server.user("mia", allowed_models=["openai/*"])
    mia = await server.session("mia")
    root = await server.session("root")

    seen = (await mia.get("/api/models")).json()
    everything = (await root.get("/api/models")).json()

    assert [p["name"] for p in seen["presets"]] == ["openai"]
    assert seen["models"] == ["openai/gpt-5.1"]
    assert seen["catalogue"] and all(m["id"].startswith("openai/") for m in seen["catalogue"])
    assert len(everything["catalogue"]) > len(seen["catalogue"])
    assert {p["name"] for p in everything["presets"]} == {"default", "openai", "titled"}

    refused = await mia.post(
        "/api/presets",
        json={"name": "mixed", "members": ["openai/gpt-5.4", "x-ai/grok-4.20"], "chairman": "x"},
    )
    assert refused.status_code == 403
    assert "x-ai/grok-4.20" in refused.json()["detail"]["message"]
    not_admin = await mia.post(
        "/api/presets",
        json={
            "name": "team",
            "members": ["openai/gpt-5.4"],
            "chairman": "openai/gpt-5.4",
            "shared": True,
        },
    )
    assert not_admin.status_code == 403

    # An admin's shared preset with a model mia may not use stays out of her list.
    await root.post(
        "/api/presets",
        json={"name": "everyone", "members": MEMBERS, "chairman": CHAIRMAN, "shared": True},
    )
    await root.post(
        "/api/presets",
        json={
            "name": "gpt",
            "members": ["openai/gpt-5.4"],
            "chairman": "openai/gpt-5.4",
            "shared": True,
        },
    )
    listed = (await mia.get("/api/presets")).json()["presets"]
    assert [(p["name"], p["shared"], p["mine"]) for p in listed] == [("gpt", True, False)]


async def test_saved_presets_crud_on_both_databases(governed_on_database: Any) -> None:
    server: Governed = await governed_on_database()
    await server.user("root", role="admin")
    await server.user("ann")
    await server.user("bob")
    ann, bob, root = [await server.session(n) for n in ("ann", "bob", "root")]
    council = {"members": ["openai/gpt-5.4", "x-ai/grok-4.20"], "chairman": "openai/gpt-5.4"}

    created = await ann.post("/api/presets", json={"name": "duo", "mode": "revise", **council})
    assert created.status_code == 201, created.text
    mine = created.json()
    assert mine["members"] == council["members"] and mine["mode"] == "revise"
    assert not mine["shared"] and mine["mine"] and mine["created_by"] == "ann"

    replaced = await ann.post(
        "/api/presets",
        json={"name": "duo", "members": ["openai/gpt-5.4"], "chairman": "openai/gpt-5.4"},
    )
    assert replaced.status_code == 200 and replaced.json()["id"] == mine["id"]
    assert replaced.json()["members"] == ["openai/gpt-5.4"] and replaced.json()["mode"] is None

    same_name = await bob.post("/api/presets", json={"name": "duo", **council})
    assert same_name.status_code == 201 and same_name.json()["id"] != mine["id"]
    shared = await root.post("/api/presets", json={"name": "duo", "shared": True, **council})
    assert shared.status_code == 201

    ann_list = (await ann.get("/api/presets")).json()["presets"]
    assert [(p["name"], p["shared"]) for p in ann_list] == [("duo", True), ("duo", False)]
    assert [p["id"] for p in ann_list if not p["shared"]] == [mine["id"]]

    assert (await bob.delete(f"/api/presets/{mine['id']}")).status_code == 404
    assert (await ann.delete(f"/api/presets/{shared.json()['id']}")).status_code == 403
    assert (await ann.delete(f"/api/presets/{mine['id']}")).status_code == 204
    assert (await ann.delete(f"/api/presets/{mine['id']}")).status_code == 404
    assert (await root.delete(f"/api/presets/{shared.json()['id']}")).status_code == 204
    assert (await ann.get("/api/presets")).json()["presets"] == []


async def test_a_bad_council_is_a_422_naming_the_problem(client: httpx.AsyncClient) -> None:
    cases = [
        ({"name": "x", "members": [], "chairman": "a/b"}, "members"),
        ({"name": "x", "members": ["a/b", "a/b"], "chairman": "a/b"}, "listed twice"),
        ({"name": " ", "members": ["a/b"], "chairman": "a/b"}, "blank"),
        ({"name": "x", "members": ["a/b"] * 27, "chairman": "a/b"}, "members"),
        ({"name": "x", "members": ["a/b"], "chairman": "   "}, "blank"),
    ]
    for body, expected in cases:
        response = await client.post("/api/presets", json=body)
        assert response.status_code == 422, body
        assert expected in response.text

    local = await client.post(
        "/api/presets", json={"name": "solo", "members": ["a/b"], "chairman": "a/b"}
    )
    assert local.status_code == 201 and local.json()["mine"]  # local mode: one person
    assert [p["name"] for p in (await client.get("/api/presets")).json()["presets"]] == ["solo"]
