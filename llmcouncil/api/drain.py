"""Drain: how ``council serve`` leaves a cluster on SIGTERM (``instances.drain`` seconds).

A rolling restart stops instances one by one. Without a drain, SIGTERM stops at once: the runs
still live are handed over mid-stage while another instance is alive (as at a drain's bound,
below), else cancelled a few seconds later, once open connections have had their time. With
``instances.drain`` above zero, SIGTERM instead:

1. turns ``/readyz`` to 503 (``draining``), so the load balancer (or Kubernetes) stops sending
   new requests here, while open streams and requests go on; and stops taking over the runs
   dead instances leave (api/takeover.py), which the instances that stay resume;
2. waits until no run is live here, or until ``instances.drain`` seconds have passed; in the
   last ``instances.handover`` seconds of it, while another instance is alive, each live run is
   **handed over** at its next stage boundary (api/handover.py, council/handover.py): stored
   ``running`` with no owner, so a live instance's sweep resumes it after its last stored
   stage, asking nobody again. Its stream here ends with an ``error`` event of code
   ``handed_over`` (the client follows it elsewhere with ``Last-Event-ID``), a request waiting
   for its result gets 503 ``handed_over``;
3. then stops as before: the listener closes, open connections get uvicorn's graceful time,
   and a run still live past the bound is handed over mid-stage (its stored stages kept, the
   stage in flight asked again where it resumes), or cancelled when no other instance is alive
   or ``instances.handover`` is 0.

A second SIGTERM, or SIGINT (Ctrl-C), stops at once. The wait rides on uvicorn's own tick
(every 0.1 s): no task of its own, nothing to cancel.
"""

from __future__ import annotations

import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import FrameType

import uvicorn

from llmcouncil.api.handover import HandoverPlan, Phase

log = logging.getLogger("llmcouncil")

DRAINING_MESSAGE = (
    "this instance is stopping (draining): it finishes its live runs and takes no new work; "
    "send requests to another instance"
)


@dataclass(slots=True)
class Drain:
    """One instance's drain: started once, finished when no run is live or ``bound`` passed."""

    bound: float
    handover: float = 0.0  # the last seconds of the drain, when live runs are handed over
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

    def phase(self) -> Phase:
        """What live runs do now (api/handover.py): finish here, or go to another instance."""
        if self.started_at is None:
            return Phase.FINISH
        plan = HandoverPlan(drain=self.bound, window=self.handover)
        return plan.phase(self.clock() - self.started_at)

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
        hand_over: Callable[[Phase], Awaitable[int]] | None = None,
    ) -> None:
        """``live_runs``: how many runs are live here; ``on_drain``: called as the drain
        starts (the server stops taking over dead instances' runs); ``hand_over``: asks the
        live runs to go to other instances as the phase says, returns how many were asked
        (``RunHandover.ask``)."""
        super().__init__(config)
        self._drain = drain
        self._live_runs = live_runs
        self._on_drain = on_drain
        self._hand_over = hand_over
        self._handed_over = 0  # runs asked to hand over so far, in the last ask
        self._asked = False  # whether the handover window's first ask was made

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
        phase = self._drain.phase()
        # Asked as the window opens, then every second: runs started since, or another
        # instance alive again since.
        if live and phase is Phase.AT_BOUNDARY and (not self._asked or counter % 10 == 0):
            self._asked = True
            await self._ask(phase)
        if not self._drain.finished(live_runs=live):
            return False
        if live and phase is Phase.STOP and await self._ask(phase):
            log.warning(
                "drain: %g s passed with %d run(s) still live; they are handed over to the "
                "other instances now, their stored stages kept",
                self._drain.bound,
                live,
            )
        elif live:
            log.warning(
                "drain: %g s passed with %d run(s) still live; they are cancelled now, their "
                "stored stages kept for a retry",
                self._drain.bound,
                live,
            )
        else:
            log.info("drain: no run left; stopping")
        return True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if sockets is not None and self.started:  # uvicorn says it only for its own sockets
            self._log_started_message(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Stopping with runs still live (no drain, or one cut short by a second SIGTERM): while
        # another instance is alive they are handed over mid-stage before the connections close,
        # and this instance no longer takes over runs left behind (its own handed over among
        # them: taken back, it would hand them over a second time, their calls asked again).
        self._on_drain()
        if (live := self._live_runs()) and await self._ask(Phase.STOP):
            log.warning(
                "stopping: %d live run(s) are handed over to the other instances, their stored "
                "stages kept",
                live,
            )
        await super().shutdown(sockets)

    async def _ask(self, phase: Phase) -> int:
        if self._hand_over is None:
            return 0
        asked = await self._hand_over(phase)
        if phase is Phase.AT_BOUNDARY and asked and asked != self._handed_over:
            log.warning(
                "drain: %d live run(s) are handed over to the other instances at their next "
                "stage boundary",
                asked,
            )
        self._handed_over = asked
        return asked


def bind_listener(host: str, port: int) -> socket.socket:
    """The server's socket, bound (not yet listening) before start-up: nothing start-up opens
    on an ephemeral port can be given this port. Raises ``OSError`` when it is in use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
