"""The ``[jobs]`` section: where background work (batches) runs and how a crash is noticed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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
    concurrency: int = Field(default=4, ge=1, le=256, description="Jobs one worker runs at once.")
