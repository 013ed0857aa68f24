"""Drain: how ``council serve`` leaves a cluster on SIGTERM (``instances.drain`` seconds).

A rolling restart stops instances one by one. Without a drain, SIGTERM closes the listening
socket at once and the runs still live are cancelled a few seconds later. With
``instances.drain`` above zero, SIGTERM instead:

1. turns ``/readyz`` to 503 (``draining``), so the load balancer (or Kubernetes) stops sending
   new requests here, while open streams and requests go on; and stops taking over the runs
   dead instances leave (api/takeover.py), which the instances that stay resume;
2. waits until no run is live here, or until ``instances.drain`` seconds have passed;
3. then stops as before: the listener closes, open connections get uvicorn's graceful time,
   and a run still live past the bound is cancelled (its stored stages kept).

A second SIGTERM, or SIGINT (Ctrl-C), stops at once. The wait rides on uvicorn's own tick
(every 0.1 s): no task of its own, nothing to cancel.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import uvicorn

log = logging.getLogger("llmcouncil")

DRAINING_MESSAGE = (
    "this instance is stopping (draining): it finishes its live runs and takes no new work; "
    "send requests to another instance"
)


@dataclass(slots=True)
class Drain:
    """One instance's drain: started once, finished when no run is live or ``bound`` passed."""

    bound: float
    clock: Callable[[], float] = time.monotonic
    started_at: float | None = None

    @property
    def draining(self) -> bool:
        return self.started_at is not None

    def begin(self) -> bool:
        """Start draining; False if it had already started."""
        if self.started_at is not None:
            return False
        self.started_at = self.clock()
        return True

    def finished(self, *, live_runs: int) -> bool:
        """Whether the instance may stop now: nothing left to finish, or out of time."""
        if self.started_at is None:
            return False
        return live_runs == 0 or self.clock() - self.started_at >= self.bound


class DrainingServer(uvicorn.Server):
    """uvicorn's server, draining on the first SIGTERM (``drain.bound`` > 0)."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        drain: Drain,
        live_runs: Callable[[], int],
        on_drain: Callable[[], None],
    ) -> None:
        """``live_runs``: how many runs are live here; ``on_drain``: called as the drain
        starts (the server stops taking over dead instances' runs)."""
        super().__init__(config)
        self._drain = drain
        self._live_runs = live_runs
        self._on_drain = on_drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self._drain.bound > 0 and not self.should_exit:
            if self._drain.begin():
                self._on_drain()
                log.warning(
                    "SIGTERM: draining — /readyz answers 503; %d live run(s) get up to %g s "
                    "to finish (a second SIGTERM stops at once)",
                    self._live_runs(),
                    self._drain.bound,
                )
                return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if await super().on_tick(counter):
            return True
        if not self._drain.draining:
            return False
        live = self._live_runs()
        if not self._drain.finished(live_runs=live):
            return False
        if live:
            log.warning(
                "drain: %g s passed with %d run(s) still live; they are cancelled now, their "
                "stored stages kept for a retry",
                self._drain.bound,
                live,
            )
        else:
            log.info("drain: no run left; stopping")
        return True
