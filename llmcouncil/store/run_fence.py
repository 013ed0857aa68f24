"""Fencing: every write of a run names the attempt this process executes, so an execution that
lost its run never writes over the execution that took it.

An instance whose heartbeat stalls past the lease (a paused process, a starved event loop, a
slow disk) counts as gone, and a live instance takes its runs over: ``reset_for_retry`` raises
the run's ``attempts`` under a row lock. The stalled instance may still be executing when it
wakes. Each of its writes of the run (a stage, the title, the end) is an UPDATE of the run's row
``WHERE attempts`` is still the attempt it executes, the fencing token, made before anything
else of the write, in the same transaction: when the attempt has moved on, the UPDATE changes no
row, the transaction is rolled back, and ``RunSupersededError`` ends that execution. On
PostgreSQL the UPDATE waits for a takeover in progress and then sees its result; SQLite has one
writer at a time. The cost is one condition on a statement the write makes anyway (one extra
statement for a write that changes nothing on the row: a title, a late answer).

A run stays held until this process writes its end: an execution that lost its run keeps the
stale attempt, so its every later write (its cancellation, say) is refused too. Runs this
process never executed (a reader, a continuation of another's finished run) are not
held, and their writes are not fenced.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from llmcouncil.errors import RunSupersededError
from llmcouncil.store import statements as sql


class AttemptFence:
    """The attempt of each run this process executes."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def hold(self, run_id: str, attempt: int) -> None:
        self._held[run_id] = attempt

    def release(self, run_id: str) -> None:
        self._held.pop(run_id, None)

    def held(self, run_id: str) -> int | None:
        return self._held.get(run_id)

    def lost(self, run_id: str, *, attempt: int) -> RunSupersededError | None:
        """Whether the run, stored at ``attempt``, was taken from this process's execution
        (the error its waiting client gets); None when it is still this process's, or was
        never executed here."""
        held = self._held.get(run_id)
        if held is None or held == attempt:
            return None
        return _superseded(run_id, held)

    def update_run(self, connection: Connection, run_id: str, values: dict[str, Any]) -> None:
        """The run's row updated with ``values`` (possibly none), fenced when this process
        executes the run: raises ``RunSupersededError`` when another execution took it."""
        attempt = self._held.get(run_id)
        if attempt is None:
            if values:
                connection.execute(sql.UPDATE_RUN, {"b_id": run_id, **values})
            return
        fenced = {"b_id": run_id, "b_attempt": attempt, **(values or {"attempts": attempt})}
        changed = connection.execute(sql.UPDATE_RUN_FENCED, fenced)
        if changed.rowcount == 0:  # held still: every later write of this execution is refused
            raise _superseded(run_id, attempt)


def _superseded(run_id: str, attempt: int) -> RunSupersededError:
    return RunSupersededError(
        f"run {run_id} was taken over by another server instance (this one's attempt {attempt} "
        "was stopped); follow it with its events, resumed from the last one received",
        run_id=run_id,
    )
