"""An unchanged client of the original prototype works against this server.

This mirrors the original front end's `api.js` and `App.jsx` logic: create with `{}`, list, get,
stream with `fetch` reading `data: ` lines chunk by chunk, and fill the assistant message from
`stage1_complete`, `stage2_complete` (with `metadata`), `stage3_complete`, `title_complete`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx


async def original_send_message_stream(
    http: httpx.AsyncClient, cid: str, content: str
) -> dict[str, Any]:
    assistant: dict[str, Any] = {
        "role": "assistant",
        "stage1": None,
        "stage2": None,
        "stage3": None,
        "metadata": None,
        "loading": {"stage1": False, "stage2": False, "stage3": False},
    }
    seen: list[str] = []
    async with http.stream(
        "POST", f"/api/conversations/{cid}/message/stream", json={"content": content}
    ) as response:
        assert response.is_success
        # The original splits each read on newlines without buffering: right while a read
        # holds whole events, which one write per event gives on a quiet socket. Under load
        # the deltas pile up past one read (64 KiB) and a read ends mid-line, so the part
        # after the last newline is kept for the next read, which is all a client adds.
        rest = ""
        async for chunk in response.aiter_text():
            *lines, rest = (rest + chunk).split("\n")
            for line in lines:
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                seen.append(event["type"])
                kind = event["type"]
                if kind == "stage1_start":
                    assistant["loading"]["stage1"] = True
                elif kind == "stage1_complete":
                    assistant["stage1"] = event["data"]
                    assistant["loading"]["stage1"] = False
                elif kind == "stage2_start":
                    assistant["loading"]["stage2"] = True
                elif kind == "stage2_complete":
                    assistant["stage2"] = event["data"]
                    assistant["metadata"] = event["metadata"]
                    assistant["loading"]["stage2"] = False
                elif kind == "stage3_start":
                    assistant["loading"]["stage3"] = True
                elif kind == "stage3_complete":
                    assistant["stage3"] = event["data"]
                    assistant["loading"]["stage3"] = False
                elif kind == "error":
                    raise AssertionError(event["message"])
    assistant["seen"] = seen
    return assistant


def deanonymize(text: str, label_to_model: dict[str, str]) -> str:
    """The original's Stage2 display: replace each label with the bold short model name."""
    for label, model in label_to_model.items():
        text = text.replace(label, f"**{model.split('/')[-1]}**")
    return text


async def test_original_front_end_flow(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/conversations", json={})
    assert created.status_code == 200
    conversation = created.json()
    assert {"id", "created_at", "title", "messages"} <= set(conversation)
    listing = (await client.get("/api/conversations")).json()
    assert {"id", "created_at", "title", "message_count"} <= set(listing[0])

    message = await original_send_message_stream(client, conversation["id"], "What is love?")
    assert "complete" in message["seen"] and "title_complete" in message["seen"]
    assert all({"model", "response"} <= set(r) for r in message["stage1"])
    assert all({"model", "ranking", "parsed_ranking"} <= set(r) for r in message["stage2"])
    labels = message["metadata"]["label_to_model"]
    for review in message["stage2"]:
        shown = deanonymize(review["ranking"], labels)
        assert "Response " not in shown.split("FINAL RANKING:")[-1]
        assert all(label in labels for label in review["parsed_ranking"])
    for row in message["metadata"]["aggregate_rankings"]:
        assert isinstance(row["average_rank"], float) and row["rankings_count"] >= 1
    assert message["stage3"]["model"] and message["stage3"]["response"]

    reloaded = (await client.get(f"/api/conversations/{conversation['id']}")).json()
    user, assistant = reloaded["messages"]
    assert user["role"] == "user" and user["content"] == "What is love?"
    assert assistant["stage1"] == message["stage1"]
    assert assistant["stage3"] == message["stage3"]
    assert assistant["metadata"]["label_to_model"] == labels
