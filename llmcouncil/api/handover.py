"""The drain's handover: a stopping instance's live runs go on on the other instances.

During a drain (api/drain.py) of ``instances.drain`` seconds, the last ``instances.handover``
seconds are the *handover window*:

============================  ====================================================================
before the window             live runs finish here (``Phase.FINISH``)
in the window                 each live run is handed over at its next stage boundary, once the
                              stage is stored and before the next stage's calls leave
                              (``Phase.AT_BOUNDARY``); a run in its last stage may still finish
at the drain's bound          the runs still live are handed over mid-stage (``Phase.STOP``): the
                              stages stored are kept, the stage in flight is asked again elsewhere
============================  ====================================================================

A window as long as the drain hands over from the first moment; ``instances.handover = 0``
never hands over (runs still live at the bound are cancelled, as without a cluster). A server
stopped without a drain (``instances.drain = 0``) hands its live runs over mid-stage as it stops,
as at a drain's bound, rather than cancelling them. Runs are
handed over only while another instance is alive (its heartbeat within ``instances.lease``):
alone, an instance finishes or cancels them as before. The run's side is council/handover.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from llmcouncil.council.runs import RunService
from llmcouncil.errors import StoreError
from llmcouncil.store.instances import InstanceRegistry

log = logging.getLogger("llmcouncil")


class Phase(StrEnum):
    FINISH = "finish"
    AT_BOUNDARY = "at_boundary"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class HandoverPlan:
    """When, in a drain of ``drain`` seconds, live runs are handed over (``window``: the last
    seconds of it; 0: never)."""

    drain: float
    window: float

    @property
    def enabled(self) -> bool:
        return self.window > 0 and self.drain > 0

    def phase(self, elapsed: float) -> Phase:
        """What a live run does ``elapsed`` seconds into the drain."""
        if not self.enabled:
            return Phase.FINISH
        if elapsed >= self.drain:
            return Phase.STOP
        if elapsed >= self.drain - self.window:
            return Phase.AT_BOUNDARY
        return Phase.FINISH


class RunHandover:
    """Asks this instance's live runs to go to the other instances, when there are any."""

    def __init__(
        self,
        *,
        runs: RunService,
        registry: InstanceRegistry,
        lease: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._runs = runs
        self._registry = registry
        self._lease = lease
        self._clock = clock

    async def others_alive(self) -> bool:
        """Whether another instance beats within the lease (False if the database is down:
        nobody could take the run over then)."""
        try:
            live = await self._registry.live(now=self._clock(), lease=self._lease)
        except StoreError as exc:
            log.warning("drain: cannot tell whether another instance is alive: %s", exc)
            return False
        return any(instance != self._runs.worker_id for instance in live)

    async def ask(self, phase: Phase) -> int:
        """Ask every live run to hand over as ``phase`` says; how many were newly asked (0 when
        the phase keeps them here, or no other instance could take them)."""
        if phase is Phase.FINISH:
            return 0
        mid_stage = phase is Phase.STOP
        live = [
            h
            for h in self._runs.live()
            if h.task is not None
            and not h.task.done()
            and not (h.handover.on_cancel or (h.handover.at_boundary and not mid_stage))
        ]  # those already asked as much are not counted again
        if not live or not await self.others_alive():
            return 0
        for handle in live:
            handle.handover.request(mid_stage=mid_stage)
            if mid_stage and handle.task is not None:
                # Stopped now, not when the server's connections have closed: a request
                # waiting for the run gets its 503 ``handed_over`` while it is still connected.
                handle.task.cancel()
        return len(live)
