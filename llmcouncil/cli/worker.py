"""``council worker``: a process that runs background jobs (batches, evaluations) from Redis.

It is an instance like ``council serve`` (its own heartbeat on the database, the same run
machinery, gate, budgets and audit), without the HTTP side. Run as many as the work needs,
on any machine that reaches the database, Redis and the upstreams. SIGTERM or Ctrl-C stops
it: its unfinished jobs go back to the queue at once and resume on another worker; after a
kill -9 they do once its heartbeat is older than ``jobs.heartbeat`` (docs/OPERATIONS.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from llmcouncil.cli.common import ConfigOption, settings_from
from llmcouncil.config import Settings, check_settings
from llmcouncil.errors import ConfigError

log = logging.getLogger("llmcouncil")

NO_REDIS = (
    "council worker takes its jobs from Redis: set COUNCIL_REDIS_URL (with jobs.backend auto "
    "or redis). Without Redis, the server runs batches in its own process."
)


def worker(
    config: ConfigOption = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, help="Jobs at once (default: jobs.concurrency).")
    ] = None,
) -> None:
    """Run background jobs (batches, evaluations, uploads) from the Redis queue until stopped."""
    from llmcouncil.jobs.deployment import uses_workers

    settings = settings_from(config)
    redis_url = settings.redis_url
    if redis_url is None or not uses_workers(settings):
        raise ConfigError([NO_REDIS])
    problems = check_settings(settings)
    if problems:
        raise ConfigError(problems)
    if concurrency is not None:
        jobs = settings.jobs.model_copy(update={"concurrency": concurrency})
        settings = settings.model_copy(update={"jobs": jobs})
    asyncio.run(_work(settings, redis_url=redis_url))


async def _work(settings: Settings, *, redis_url: str) -> None:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.batches.repository import BatchStore
    from llmcouncil.batches.runner import BatchRunner
    from llmcouncil.batches.service import KIND
    from llmcouncil.documents.processing import KIND as DOCUMENT_JOB
    from llmcouncil.documents.summary_jobs import KIND as SUMMARY_JOB
    from llmcouncil.evaluation.jobs import EvaluationJobs
    from llmcouncil.jobs.queue import JobHandler
    from llmcouncil.jobs.saq_queue import job_worker, run_workers, saq_queue
    from llmcouncil.jobs.settings import Lane
    from llmcouncil.observability.logging import setup_logging

    setup_logging(settings)
    # A worker resumes the runs dead instances left, as a server does (instances.resume): one
    # that marked them interrupted instead raced the servers' takeover and sometimes won, and a
    # killed server's council then waited for a person to press retry (seen in tests/cluster).
    runtime = await Runtime.start(settings, resume_left_behind=True)
    lanes: tuple[Lane, ...] = ("long", "quick")
    queues = [saq_queue(redis_url, settings.jobs, lane) for lane in lanes]
    try:
        runner = BatchRunner(
            runs=runtime.runs,
            store=runtime.store,
            batches=BatchStore(runtime.engine),
            settings=settings,
        )
        evaluations = EvaluationJobs(
            runs=runtime.runs, store=runtime.store, settings=settings, simulated=runtime.demo
        )
        for queue in queues:
            await queue.connect()
        handlers: dict[str, JobHandler] = {KIND: runner.run, EvaluationJobs.KIND: evaluations.run}
        if runtime.document_uploads is not None:  # uploads read in the background
            handlers[DOCUMENT_JOB] = runtime.document_uploads.process
        if runtime.summary_jobs is not None:  # a book's chapter summaries
            handlers[SUMMARY_JOB] = runtime.summary_jobs.run
        # Each lane runs every kind, so a job finds its function in whichever queue it waits.
        consumers = [
            job_worker(queue, handlers, settings.jobs, lane)
            for queue, lane in zip(queues, lanes, strict=True)
        ]
        log.info(
            "worker %s: queue %r, %d long and %d quick jobs at once",
            runtime.runs.worker_id,
            settings.jobs.queue,
            settings.jobs.concurrency,
            settings.jobs.quick_concurrency,
        )
        await run_workers(consumers)  # until SIGINT/SIGTERM; unfinished jobs go back
    finally:
        for queue in queues:
            await queue.disconnect()
        await runtime.stop()
