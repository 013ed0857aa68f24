"""Reads by workers, run in-process: the document job on a queue of this event loop that
answers as a worker deployment's does (``by_workers``), and a clock driven by that job.

The wait's sleep waits for the document jobs to end, so the tests are driven by the jobs, not
by time; the clock is a counter the sleep advances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.documents.processing import KIND, DocumentUploads
from llmcouncil.documents.service import DocumentService, document_service
from llmcouncil.jobs.queue import InProcessJobQueue
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.repository import Store


class WorkerQueue(InProcessJobQueue):
    """The in-process queue, named as the deployment's whose workers read files: the code
    under test takes the workers' path, and its jobs still run on this event loop."""

    @property
    def engine(self) -> str:
        return "redis"


class JobClock:
    """The wait's clock and sleep: a sleep waits for the document's job to end (at once when
    none runs) and advances the clock by what was asked."""

    def __init__(self, queue: InProcessJobQueue | None) -> None:
        self.queue = queue
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.queue is not None:
            for key in self.queue.keys(KIND):
                await self.queue.wait(KIND, key)


@dataclass
class Reading:
    service: DocumentService
    uploads: DocumentUploads
    queue: InProcessJobQueue
    time: JobClock


@asynccontextmanager
async def opened_reading(settings: Settings) -> AsyncIterator[Reading]:
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    privacy = await PrivacyGuard.start(settings)
    service = document_service(
        store=Store(engine, open_vault=privacy.cipher.for_display),
        privacy=privacy,
        settings=settings,
    )
    uploads = DocumentUploads(service)
    queue = WorkerQueue({KIND: uploads.process})
    uploads.queue = queue
    try:
        yield Reading(service, uploads, queue, JobClock(queue))
    finally:
        await queue.aclose()
        await service.aclose()
        await engine.dispose()
