"""A caller that only waits for the result gets plain upstream calls and no token events."""

from __future__ import annotations

from resilience_support import Launch
from support import MEMBERS, new_conversation

from llmcouncil.sim import SimServer


async def test_without_token_events_upstream_calls_still_stream(
    launch: Launch, sim: SimServer
) -> None:
    """Nobody watches the tokens: none are sent as events, but the calls stream upstream, so
    their first-token deadlines hold (tests/resilience/test_failover.py has the hung case)."""
    live, client = await launch()
    cid = await new_conversation(client)
    runs = live.runtime.runs
    handle = await runs.start(conversation_id=cid, content="plain, please", stream_tokens=False)
    await handle.wait()
    events = [e async for e in handle.events()]
    assert events[-1].type.value == "complete"
    assert not [e for e in events if e.type.value == "model_delta"]
    answers = [r for r in sim.requests if r.prompt_kind == "answer"]
    assert answers and all(r.stream for r in answers)
    stored = (await client.get(f"/api/conversations/{cid}")).json()["messages"][1]
    assert {a["model"] for a in stored["stage1"]} == set(MEMBERS)
    assert all(a["response"] for a in stored["stage1"])

    # The default is unchanged, and the choice does not leak into later runs of the caller.
    handle = await runs.start(conversation_id=cid, content="and now streamed")
    await handle.wait()
    events = [e async for e in handle.events()]
    assert [e for e in events if e.type.value == "model_delta"]
