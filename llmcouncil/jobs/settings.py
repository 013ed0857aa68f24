"""The ``[jobs]`` section: where background work runs, how much at once, and how a crash is
noticed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# A queue's lane: long jobs (hours of batch) and quick ones (seconds) never share job slots.
Lane = Literal["long", "quick"]


class JobSettings(BaseModel):
    """``backend``: ``redis`` hands jobs to ``council worker`` processes through Redis (SAQ);
    ``local`` runs them in the server's own process; ``auto`` is ``redis`` when
    ``COUNCIL_REDIS_URL`` is set, else ``local``."""

    backend: Literal["auto", "redis", "local"] = "auto"
    queue: str = Field(
        default="council",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="The Redis queue's name: servers and workers of one deployment share it.",
    )
    heartbeat: int = Field(
        default=15,
        ge=1,
        description="Seconds a running job may go without its worker's heartbeat before a "
        "sweep hands it to another worker (the worker beats every third of it).",
    )
    sweep: int = Field(
        default=5, ge=1, description="Seconds between a worker's sweeps for stuck jobs."
    )
    concurrency: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Long jobs (batches, evaluations) one worker runs at once.",
    )
    quick_concurrency: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Quick jobs (an upload's read, a book's summaries) one worker runs at once. "
        "They have a queue of their own (`<queue>.quick`), so an upload is never read after "
        "the batches queued before it.",
    )
