"""Runs a dead instance left running, resumed by a live one (``instances.resume``, on by default
for ``council serve``).

Each heartbeat's sweep (store/instances.py) finds the running runs of instances gone past the
lease and takes each over through the retry path: the run row is reset to this instance by a
compare-and-set on its attempt count, so of two instances sweeping at once exactly one resumes
it, and the stages already stored are kept — the council goes on after the last one, so no
member of a finished stage is asked again. It runs as its owner (budget, role policy, usage and
audit as any run of theirs), and a reading-mode run reads the same chapter. A run that cannot be
resumed (its owner may no longer run that council, the budget is spent, the run is gone) is
marked interrupted with the reason, for a person to retry; one refused for lack of capacity or
by a rate limit waits for the next sweep. A server with ``instances.resume`` off marks them
interrupted; a command-line process (``council ask``, ``eval``, ``batch``) never touches another
instance's runs: only servers and workers sweep (api/runtime.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunService
from llmcouncil.documents.context import Focus, reading
from llmcouncil.documents.service import DocumentService
from llmcouncil.errors import ConflictError, CouncilError, OverloadedError
from llmcouncil.store.instances import InstanceRegistry
from llmcouncil.store.repository import Store

log = logging.getLogger("llmcouncil")


async def stored_focus(
    documents: DocumentService, conversation_id: str, run_id: str
) -> Focus | None:
    """The chapter a reading-mode run was asked about, so its retry reads the same chapter."""
    shown = (await documents.documents.contexts(conversation_id)).get(run_id) or {}
    focus = shown.get("focus")
    if not isinstance(focus, dict) or not focus.get("document_id") or not focus.get("section"):
        return None
    return Focus(document_id=str(focus["document_id"]), number=str(focus["section"]))


class Takeover:
    """The sweep of an instance that resumes what dead instances left running."""

    def __init__(
        self,
        *,
        store: Store,
        runs: RunService,
        registry: InstanceRegistry,
        documents: DocumentService,
        lease: float,
    ) -> None:
        self._store = store
        self._runs = runs
        self._registry = registry
        self._documents = documents
        self._lease = lease
        # Set while this instance drains (api/drain.py): it leaves them to the others.
        self.paused = False

    async def sweep(self, now: datetime) -> int:
        """Resume every run left behind; how many had to be marked interrupted instead."""
        if self.paused:
            return 0
        left = await self._registry.left_behind_runs(
            instance_id=self._runs.worker_id, now=now, lease=self._lease
        )
        interrupted = 0
        for run in left:
            actor = RunActor(user_id=run.user_id, api_key_id=run.api_key_id)
            try:
                focus = await stored_focus(self._documents, run.conversation_id, run.run_id)
                with reading(focus):
                    await self._runs.retry(
                        conversation_id=run.conversation_id, run_id=run.run_id, actor=actor
                    )
            except ConflictError:  # another instance took it first, or it has ended
                continue
            except OverloadedError as exc:  # no room now: the next sweep tries again
                log.info("run %s left behind waits for capacity: %s", run.run_id, exc)
                continue
            except CouncilError as exc:
                log.warning("run %s left behind could not be resumed: %s", run.run_id, exc)
                interrupted += await self._store.interrupt_orphaned_runs(
                    worker_id=self._runs.worker_id,
                    lease=self._lease,
                    now=now,
                    run_ids=[run.run_id],
                    message="the server stopped while this run was in progress, and it could "
                    f"not be resumed: {exc}",
                )
                continue
            log.warning("run %s left behind by a stopped server is resumed here", run.run_id)
        return interrupted
