"""A caller that only waits for the result gets plain upstream calls and no token events."""

from __future__ import annotations

from resilience_support import Launch
from support import MEMBERS, new_conversation

from llmcouncil.sim import SimServer


async def test_without_token_streaming_upstream_calls_are_plain(
    launch: Launch, sim: SimServer
) -> None:
    live, client = await launch()
    cid = await new_conversation(client)
    runs = live.runtime.runs
    handle = await runs.start(conversation_id=cid, content="plain, please", stream_tokens=False)
    await handle.wait()
    events = [e async for e in handle.events()]
    assert events[-1].type.value == "complete"
    assert not [e for e in events if e.type.value == "model_delta"]
    assert sim.requests and not any(r.stream for r in sim.requests)
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert {a["model"] for a in stored["stage1"]} == set(MEMBERS)

    # The default is unchanged, and the choice does not leak into later runs of the caller.
    sim.clear_requests()
    handle = await runs.start(conversation_id=cid, content="and now streamed")
    await handle.wait()
    answers = [r for r in sim.requests if r.prompt_kind == "answer"]
    assert answers and all(r.stream for r in answers)
