"""A stage does not wait forever for its slowest member: quorum, then a grace period.

The calls of a stage run together. Once ``quorum`` of them succeeded (default: a majority), the
rest get a grace period proportional to the time the quorum took (``grace_factor``), clamped to
[``grace_min``, ``grace_max``]. Calls still running then are *late*: cancelled, or with
``late = "keep"`` left running and stored as late when they answer, without entering the stage.

Failures lower the bar: once so many calls failed that the quorum cannot be reached, the first
answer starts the grace period, so two failed members and a hung one do not hold the survivor's
stage until the hung call's own deadline. With no answer at all the stage waits for its calls
(each bounded by its deadline): without one it would have nothing.

``late_sink`` is how a kept late call reaches the store: the run service sets it (a context
variable, so it follows the run's task) and receives a coroutine that ends with the late record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

from llmcouncil.records import CallRecord
from llmcouncil.resilience.settings import StragglerSettings

T = TypeVar("T")

LateSink = Callable[[Awaitable[CallRecord]], None]
late_sink: ContextVar[LateSink | None] = ContextVar("llmcouncil_late_sink", default=None)


@dataclass(frozen=True, slots=True)
class LateCall(Generic[T]):
    index: int
    task: asyncio.Task[T]


@dataclass(frozen=True, slots=True)
class StageCut:
    """Why the stage stopped waiting: the quorum, when it was reached, and the grace given."""

    quorum: int
    quorum_s: float
    grace_s: float

    def describe(self) -> str:
        return (
            f"no answer within the {self.grace_s:.1f} s grace period after {self.quorum} "
            f"answer(s) arrived at {self.quorum_s:.1f} s"
        )


@dataclass(slots=True)
class GatherOutcome(Generic[T]):
    results: list[T | None]  # None where the call was late
    late: list[LateCall[T]]
    cut: StageCut | None


def quorum_for(policy: StragglerSettings, calls: int) -> int:
    wanted = policy.quorum if policy.quorum is not None else calls // 2 + 1
    return max(1, min(calls, wanted))


def grace_for(policy: StragglerSettings, quorum_s: float) -> float:
    return min(policy.grace_max, max(policy.grace_min, quorum_s * policy.grace_factor))


async def gather_with_quorum(
    calls: Sequence[Awaitable[T]],
    *,
    policy: StragglerSettings,
    ok: Callable[[T], bool],
    keep_late: bool = False,
) -> GatherOutcome[T]:
    """Run ``calls`` together; results in order, late ones cancelled unless ``keep_late``."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    if not policy.enabled or len(tasks) < 2:
        return GatherOutcome(results=list(await asyncio.gather(*tasks)), late=[], cut=None)
    loop = asyncio.get_running_loop()
    started = loop.time()
    quorum = quorum_for(policy, len(tasks))
    pending: set[asyncio.Future[T]] = set(tasks)
    succeeded = failed = 0
    cutoff: float | None = None
    cut: StageCut | None = None
    try:
        while pending:
            timeout = None if cutoff is None else max(0.0, cutoff - loop.time())
            done, pending = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                break  # the grace period is over
            for task in done:
                if ok(task.result()):
                    succeeded += 1
                else:
                    failed += 1
            needed = quorum if len(tasks) - failed >= quorum else 1
            if cutoff is None and pending and succeeded >= needed:
                quorum_s = loop.time() - started
                grace_s = grace_for(policy, quorum_s)
                cut = StageCut(quorum=succeeded, quorum_s=quorum_s, grace_s=grace_s)
                cutoff = loop.time() + cut.grace_s
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    late = [LateCall(index=i, task=t) for i, t in enumerate(tasks) if not t.done()]
    if not keep_late and late:
        for call in late:
            call.task.cancel()
        await asyncio.gather(*(call.task for call in late), return_exceptions=True)
    results: list[T | None] = [
        None if (not t.done() or t.cancelled()) else t.result() for t in tasks
    ]
    return GatherOutcome(results=results, late=late, cut=cut if late else None)
