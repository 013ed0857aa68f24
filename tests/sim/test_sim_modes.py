"""Every deliberation mode over HTTP against the simulated upstream: what the user sees, what
left for which model, the structured synthesis and its degraded form, and a server killed in
the middle of a revision round whose retry resumes with that round."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import (
    CHAIRMAN,
    MEMBERS,
    free_port,
    new_conversation,
    parse_sse,
    serve,
    sim_server_env,
    until_answer_status,
    until_ready,
)

from llmcouncil.sim import FaultSpec, SimServer


def inject(sim: SimServer, faults: dict[str, list[FaultSpec]]) -> None:
    sim.configure(sim.config.model_copy(update={"faults": faults}))


async def ask(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    cid = await new_conversation(client)
    response = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Why is the sky blue?", **body}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def kinds(sim: SimServer) -> list[str]:
    return [r.prompt_kind for r in sim.requests if r.prompt_kind != "title"]


async def test_classic_carries_the_structured_synthesis(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    result = await ask(client)
    final = result["stage3"]
    assert result["mode"] == "classic" and final["kind"] == "synthesis"
    structured = final["structured"]
    assert structured["consensus"] and structured["gaps"]
    assert structured["confidence"]["level"] in ("high", "medium")
    position = structured["contradictions"][0]["positions"][0]
    assert position["models"][0] in MEMBERS  # the label the chairman saw, and its model
    assert "council_structure" not in final["response"]
    chair = next(r for r in sim.requests if r.prompt_kind == "chairman")
    assert "<council_structure>" in chair.messages[-1]["content"]


async def test_a_chairman_without_the_structure_is_shown_as_text_with_a_note(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    inject(sim, {"*": [FaultSpec(unformatted=True, prompt_kind="chairman")]})
    final = (await ask(client))["stage3"]
    assert final["kind"] == "synthesis" and final["response"]
    assert final["structured"] is None
    assert "no structured summary" in final["structured_note"]


async def test_select_shows_the_top_answer_without_calling_a_chairman(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    result = await ask(client, mode="select")
    final = result["stage3"]
    assert final["kind"] == "selected"
    chosen = next(a for a in result["stage1"] if a["model"] == final["selected_model"])
    assert final["response"] == chosen["response"]
    assert final["review_summary"].startswith("Ranked first")
    assert sorted(set(kinds(sim))) == ["answer", "ranking"]


async def test_answers_mode_only_asks_the_members(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    result = await ask(client, mode="answers")
    assert result["mode"] == "answers" and result["stage3"]["kind"] == "answers"
    assert [a["model"] for a in result["stage1"]] == MEMBERS
    assert result["stage2"] == []
    assert set(kinds(sim)) == {"answer"}


async def test_revise_runs_its_rounds_then_reviews_the_revisions(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    result = await ask(client, mode="revise", rounds=2)
    assert [len(r) for r in result["stage1_rounds"]] == [4, 4, 4]
    assert all("Revised after reading" in a["response"] for a in result["stage1"])
    revisions = [r for r in sim.requests if r.prompt_kind == "revision"]
    assert len(revisions) == 8
    prompt = revisions[0].messages[-1]["content"]
    assert not any(m in prompt for m in MEMBERS)  # anonymised
    ranked = next(r for r in sim.requests if r.prompt_kind == "ranking")
    assert "Revised after reading" in ranked.messages[-1]["content"]
    assert result["stage3"]["kind"] == "synthesis"


async def test_revise_stops_when_the_answers_stop_changing(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    server = await start_server(make_settings(preset={"mode": "revise", "early_stop": True}))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        result = await ask(client, rounds=3)
    # Round 1 adds a point, round 2 changes nothing (the simulator's members converge).
    assert len(result["stage1_rounds"]) == 3
    assert result["metadata"]["early_stop"]["round"] == 2
    assert result["stage3"]["early_stop"]["kind"] == "unchanged"
    assert len([r for r in sim.requests if r.prompt_kind == "revision"]) == 8


async def test_self_moa_samples_one_model(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    server = await start_server(make_settings(preset={"mode": "self-moa", "samples": 3}))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        result = await ask(client)
    answers = [r for r in sim.requests if r.prompt_kind == "answer"]
    assert {r.model for r in answers} == {MEMBERS[0]}
    assert len({r.temperature for r in answers}) == 3
    assert [a["model"] for a in result["stage1"]] == [f"{MEMBERS[0]}#{i}" for i in (1, 2, 3)]
    assert {r.model for r in sim.requests if r.prompt_kind == "ranking"} == set(MEMBERS)
    assert result["mode"] == "self-moa" and result["stage3"]["model"] == CHAIRMAN


async def test_an_unknown_mode_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    cid = await new_conversation(client)
    response = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Hi", "mode": "debate"}
    )
    assert response.status_code == 422
    response = await client.post(
        f"/api/conversations/{cid}/message", json={"content": "Hi", "mode": "revise", "rounds": 9}
    )
    assert response.status_code == 422
    assert (await client.get(f"/api/conversations/{cid}")).json()["messages"] == []
    assert not sim.requests


# --- a crash in the middle of a revision round ---------------------------------------------------


def _env(tmp_path: Path, sim: SimServer) -> dict[str, str]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    # Interrupted, for the test's own retry (a server would otherwise resume it).
    return sim_server_env(sim, database_url=database, COUNCIL_INSTANCES__RESUME="false")


async def _read_until_round(response: httpx.Response, number: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            seen += parse_sse(block + "\n\n")
            if seen and seen[-1]["type"] == "revision_start" and seen[-1]["round"] == number:
                return seen
    raise AssertionError(f"stream ended before round {number}: {[e['type'] for e in seen]}")


@pytest.mark.timeout(900)
async def test_a_server_killed_mid_round_resumes_with_that_round(
    tmp_path: Path, sim: SimServer
) -> None:
    inject(sim, {"*": [FaultSpec(hang=True, prompt_kind="revision", prompt_contains="round 2")]})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve(tmp_path, _env(tmp_path, sim), port)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            cid = await new_conversation(http)
            async with http.stream(
                "POST",
                f"/api/conversations/{cid}/message/stream",
                json={"content": "survive a crash", "mode": "revise", "rounds": 2},
            ) as response:
                seen = await _read_until_round(response, 2)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    run_id = seen[0]["run_id"]
    assert seen[0]["mode"] == "revise"
    round_one = next(e for e in seen if e["type"] == "revision_complete")["data"]

    inject(sim, {})
    sim.clear_requests()
    proc = serve(tmp_path, _env(tmp_path, sim), port)
    try:
        await until_ready(base, proc, tmp_path / "server.log")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            stored = await until_answer_status(http, cid, "interrupted")
            assert stored["mode"] == "revise"
            assert len(stored["stage1_rounds"]) == 2  # the first answers and round 1
            response = await http.post(f"/api/conversations/{cid}/runs/{run_id}/retry")
            events = parse_sse(response.text)
            done = (await http.get(f"/api/conversations/{cid}")).json()["messages"][1]
    finally:
        proc.terminate()
        proc.wait(10)
    assert events[-1]["type"] == "complete"
    assert [e["round"] for e in events if e["type"] == "revision_complete"] == [1, 2]
    assert done["status"] == "complete" and done["attempts"] == 2
    assert done["stage1_rounds"][1] == round_one
    asked = [r.messages[-1]["content"] for r in sim.requests if r.prompt_kind == "revision"]
    assert len(asked) == 4 and all("round 2" in a for a in asked)
    assert "answer" not in {r.prompt_kind for r in sim.requests}


async def test_an_answer_cut_by_its_output_limit_is_marked_and_continues(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    cut_short = {"models": {MEMBERS[0]: {"max_output_tokens": 12}}}
    server = await start_server(make_settings(preset={"reasoning": cut_short}))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        result = await ask(client)
        cid = (await client.get("/api/conversations")).json()[0]["id"]
        first = next(a for a in result["stage1"] if a["model"] == MEMBERS[0])
        assert first["finish_reason"] == "length"
        url = f"/api/conversations/{cid}/runs/{result['run_id']}/continue"
        response = await client.post(url, json={"stage": 1, "model": MEMBERS[0]})
        assert response.status_code == 200, response.text
        continued = response.json()
        refused = await client.post(url, json={"stage": 1, "model": MEMBERS[1]})
        wrong = await client.post(url, json={"stage": 2, "model": MEMBERS[1]})
        shown = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert continued["response"].startswith(first["response"])
    assert len(continued["response"]) > len(first["response"])
    assert refused.status_code == 409 and wrong.status_code == 422
    again = sim.requests[-1]
    assert again.model == MEMBERS[0] and again.messages[1]["content"] == first["response"]
    assert again.prompt_kind == "continuation"
    assert "To finish:" in continued["response"]
    member = next(a for a in shown["stage1"] if a["model"] == MEMBERS[0])
    assert member["response"] == continued["response"]


async def test_the_simulator_cuts_a_reply_at_a_length_fault(sim: SimServer) -> None:
    inject(sim, {"*": [FaultSpec(length=5, prompt_kind="answer", times=1)]})
    body = {"model": MEMBERS[0], "messages": [{"role": "user", "content": "Explain tides"}]}
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=30) as http:
        cut = (await http.post("/chat/completions", json=body)).json()
        whole = (await http.post("/chat/completions", json=body)).json()
    assert cut["choices"][0]["finish_reason"] == "length"
    assert len(cut["choices"][0]["message"]["content"]) <= 20
    assert whole["choices"][0]["finish_reason"] == "stop"
    assert [r.fault for r in sim.requests] == ["length:5", None]
