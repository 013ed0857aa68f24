"""Over real HTTP: what the simulated upstream received never holds the corpus's personal data
under ``redact``, in any stage or turn, while the user sees what they wrote."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from pii_support import corpus, leaked, what_left
from support import LiveServer, new_conversation, stream_events

from llmcouncil.privacy.evaluation import Document
from llmcouncil.sim import SimServer

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")


def _by_name(name: str) -> Document:
    return next(d for d in corpus() if d.name == name)


def _single_turn_documents() -> list[Document]:
    return [d for d in corpus() if "#" not in d.name and d.name != "names_places"]


async def test_no_corpus_value_reaches_the_upstream_in_any_stage_or_turn(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    """Every document, one after the other in one conversation: each later turn carries the
    earlier ones (and the council's answers, which echo placeholders) as history."""
    cid = await new_conversation(client)
    documents = _single_turn_documents()
    for document in documents:
        response = await client.post(
            f"/api/conversations/{cid}/message", json={"content": document.text}
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "complete"
    stages = {r.prompt_kind for r in sim.requests}
    assert {"answer", "ranking", "chairman", "title"} <= stages
    values = [v for d in documents for v in d.values("must")]
    assert len(values) > 90
    assert leaked(values, what_left(sim)) == []

    conversation = (await client.get(f"/api/conversations/{cid}")).json()
    questions = [m["content"] for m in conversation["messages"] if m["role"] == "user"]
    assert questions == [d.text for d in documents], "the user sees exactly what they wrote"
    answers = [m for m in conversation["messages"] if m["role"] == "assistant"]
    for document, answer in zip(documents, answers, strict=True):
        if document.values("must"):
            # The simulated models quote the question; the user reads it with the originals.
            shown = json.dumps([answer["stage1"], answer["stage3"]], ensure_ascii=False)
            assert not PLACEHOLDER.search(shown), document.name
            assert answer["privacy"]["policy"] == "redact"
            assert sum(answer["privacy"]["redactions"].values()) >= len(document.values("must"))


async def test_follow_ups_keep_one_placeholder_per_value(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    turns = [d for d in corpus() if d.name.startswith("followups#")]
    cid = await new_conversation(client)
    for turn in turns:
        response = await client.post(
            f"/api/conversations/{cid}/message", json={"content": turn.text}
        )
        assert response.status_code == 200
    last = [r for r in sim.requests if r.prompt_kind == "answer"][-1]
    sent = [m["content"] for m in last.messages]
    # Turn 1 named the e-mail <EMAIL_1>; turn 2 repeats it and adds a second one.
    assert "<EMAIL_1>" in sent[0] and "<PHONE_1>" in sent[0]
    assert "<EMAIL_2>" in sent[2] and "<EMAIL_1>" in sent[2] and "<IBAN_1>" in sent[2]
    assert "<CARD_1>" in sent[-1] and "<PHONE_1>" in sent[-1]
    values = [v for t in turns for v in t.values("must")]
    assert leaked(values, what_left(sim)) == []


async def test_a_stream_shows_the_originals_in_every_delta(
    client: httpx.AsyncClient, sim: SimServer
) -> None:
    email, card = "ana.lopez@example-clinic.es", "4111 1111 1111 1111"
    question = f"Should I email {email} my card {card} to pay?"
    cid = await new_conversation(client)
    events = await stream_events(
        client, f"/api/conversations/{cid}/message/stream", json_body={"content": question}
    )
    assert leaked([email, card], what_left(sim)) == []
    start = next(e for e in events if e["type"] == "run_start")
    assert start["privacy"] == {
        "policy": "redact",
        "redactions": {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1},
    }
    stage1 = next(e for e in events if e["type"] == "stage1_complete")["data"]
    for answer in stage1:
        streamed = "".join(
            e["text"]
            for e in events
            if e["type"] == "model_delta" and e["stage"] == 1 and e["model"] == answer["model"]
        )
        assert streamed == answer["response"]
        assert email in streamed and not PLACEHOLDER.search(streamed)
    final = next(e for e in events if e["type"] == "stage3_complete")["data"]["response"]
    assert email in final
    title = next(e for e in events if e["type"] == "title_complete")["data"]["title"]
    assert not PLACEHOLDER.search(title)


async def test_the_database_holds_no_original_outside_the_encrypted_vault(
    client: httpx.AsyncClient, server: LiveServer
) -> None:
    email, iban = "zoe.marsh@brightline-logistics.com", "GB29 NWBK 6016 1331 9268 19"
    cid = await new_conversation(client)
    question = f"Pay {iban} and tell {email}"
    assert (
        await client.post(f"/api/conversations/{cid}/message", json={"content": question})
    ).status_code == 200
    path = Path(server.runtime.settings.database_url.split("///", 1)[1])
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert email not in dump and iban not in dump and "NWBK" not in dump
    assert "<EMAIL_1>" in dump and "<IBAN_1>" in dump
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert email.encode() not in raw, "not in the database file or its WAL either"
    exported = (await client.get(f"/api/conversations/{cid}/export?format=md")).text
    assert email in exported and iban in exported
    listed = (await client.get("/api/conversations")).json()
    assert not PLACEHOLDER.search(listed[0]["title"])


async def _stored_messages(client: httpx.AsyncClient, cid: str) -> list[dict[str, Any]]:
    return list((await client.get(f"/api/conversations/{cid}")).json()["messages"])


async def test_block_refuses_naming_the_types_and_stores_nothing(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    live: LiveServer = await start_server(make_settings(preset={"pii_policy": "block"}))
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        text = _by_name("contact_details").text
        response = await http.post(f"/api/conversations/{cid}/message", json={"content": text})
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail["code"] == "pii_blocked"
        assert detail["entities"] == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
        assert "maria" not in detail["message"].lower()
        streamed = await http.post(
            f"/api/conversations/{cid}/message/stream", json={"content": text}
        )
        assert streamed.status_code == 422
        assert await _stored_messages(http, cid) == []
        assert sim.requests == []
        fine = await http.post(
            f"/api/conversations/{cid}/message", json={"content": "What is a checksum?"}
        )
        assert fine.status_code == 200


async def test_off_sends_personal_data_but_never_secrets(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    live: LiveServer = await start_server(make_settings(preset={"pii_policy": "off"}))
    key = "sk-or-v1-" + "0123456789abcdef" * 4
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        question = f"Why does ops@globex-corp.com get 401 with api_key={key}?"
        result = (
            await http.post(f"/api/conversations/{cid}/message", json={"content": question})
        ).json()
        assert result["privacy"] == {"policy": "off", "redactions": {"API_KEY": 1}}
        stored = await _stored_messages(http, cid)
    sent = what_left(sim)
    assert "ops@globex-corp.com" in sent
    assert leaked([key], sent) == [] and "<API_KEY_1>" in sent
    assert stored[0]["content"] == question


async def test_secrets_can_be_refused_under_every_policy(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    from llmcouncil.privacy.settings import PrivacySettings

    settings = make_settings(preset={"pii_policy": "off"}, privacy=PrivacySettings(secrets="block"))
    live: LiveServer = await start_server(settings)
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as http:
        cid = await new_conversation(http)
        response = await http.post(
            f"/api/conversations/{cid}/message",
            json={"content": "deploy with AKIAIOSFODNN7EXAMPLE please"},
        )
        assert response.status_code == 422
        assert response.json()["detail"]["entities"] == ["API_KEY"]
        status = (await http.get("/api/status")).json()["privacy"]
    assert sim.requests == []
    assert status["policies"] == {"default": "off"} and status["secrets"] == "block"
    assert status["ner"]["available"] is False
    assert "NOT detected" in status["ner"]["message"]
