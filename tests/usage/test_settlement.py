"""The governed gate settles a run it could not be handed read back (the order of answer and
settlement, and readers waiting for it, are tested on the run service: tests/council)."""

from __future__ import annotations

from gov_support import GovernedFactory

from llmcouncil.council.governance import OpenGate
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.runs import RunService


async def test_a_run_not_handed_over_is_read_back_and_settled_by_the_gate(
    governed: GovernedFactory,
) -> None:
    """A run that ended unsettled (here: run by a service with an open gate, as when its read
    back failed) is settled from the store when the gate is not handed it."""
    server = await governed()
    await server.user("root", role="admin")
    admin = await server.session("root")
    runtime = server.runtime
    unsettled = RunService(
        store=runtime.store,
        pipeline=CouncilPipeline(
            store=runtime.store, caller=runtime.caller, settings=runtime.settings
        ),
        settings=runtime.settings,
        simulated=False,
        gate=OpenGate(),
    )
    conversation = await runtime.store.create_conversation()
    handle = await unsettled.start(conversation_id=conversation.id, content="hi")
    run = (await handle.result()).run
    await handle.wait()
    assert (await admin.get("/api/usage?group_by=run")).json()["rows"] == []

    await runtime.runs.gate.finished(None, run.id, None)
    rows = (await admin.get("/api/usage?group_by=run")).json()["rows"]
    assert [r["id"] for r in rows] == [run.id]
    audit = (await admin.get("/api/audit", params={"action": "council.run"})).json()
    assert run.id in str(audit)
