"""Settlement on ``FakeProvider``: the answer is available before the gate settles the run,
readers of settled figures wait for it, and observers of settled runs are told once each.
The gate is a double passed to ``RunService``'s constructor."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fake_council import CHAIR, FakeCouncil, fake_council

from llmcouncil.council.governance import OpenGate, RunActor
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.runs import RunService
from llmcouncil.records import RunStatus
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.store.records import RunDetail


class HeldGate(OpenGate):
    """Settles only once ``release`` is set; notes what happened, in order."""

    def __init__(self, order: list[str]) -> None:
        self.release = asyncio.Event()
        self.order = order

    async def finished(self, admission: object, run_id: str, detail: RunDetail | None) -> None:
        self.order.append("settling")
        await self.release.wait()
        self.order.append("settled")


class Noted:
    def __init__(self, order: list[str]) -> None:
        self.order = order

    async def run_settled(self, run_id: str, detail: RunDetail | None) -> None:
        assert detail is not None
        self.order.append(f"observed {detail.run.status}")


def _with_gate(council: FakeCouncil, gate: HeldGate) -> RunService:
    caller = ModelCaller(council.fake_registry, council.settings)
    pipeline = CouncilPipeline(store=council.store, caller=caller, settings=council.settings)
    return RunService(
        store=council.store,
        pipeline=pipeline,
        settings=council.settings,
        simulated=False,
        gate=gate,
        after_settle=[Noted(gate.order)],
    )


async def test_the_answer_comes_before_settlement_and_readers_wait(tmp_path: Path) -> None:
    order: list[str] = []
    gate = HeldGate(order)
    async with fake_council(tmp_path) as council:
        runs = _with_gate(council, gate)
        council.queue_answers()
        council.queue_reviews()
        council.fake.enqueue(CHAIR, "The synthesis.")
        conversation = await council.store.create_conversation(preset=None)
        handle = await runs.start(
            conversation_id=conversation.id,
            content="hello",
            actor=RunActor(user_id="mia"),
        )

        async def answer() -> RunDetail:
            detail = await handle.result()
            order.append("answered")
            return detail

        detail = await answer()
        assert detail.run.status == RunStatus.COMPLETE
        assert runs.capacity.active == 0  # the council's slot is free before settlement
        readers = asyncio.ensure_future(runs.settled("mia"))
        others = asyncio.ensure_future(runs.settled("someone else"))
        await others  # nothing of theirs is settling
        await asyncio.wait({readers}, timeout=0)  # one turn: still held
        assert not readers.done()
        gate.release.set()
        await readers
        await handle.wait()
        await runs.shutdown()

    assert order == ["answered", "settling", "settled", "observed complete"]
