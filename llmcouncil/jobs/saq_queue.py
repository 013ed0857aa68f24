"""Jobs on Redis through SAQ: the server enqueues, ``council worker`` processes run them.

SAQ keeps a job's record, its place in the queue and its worker's heartbeat in Redis. A job
is unique by its key while it is waiting or running, so enqueuing it twice is a no-op. The
worker running a job touches it every third of ``jobs.heartbeat`` seconds; when a worker dies
(kill -9, a lost machine), every live worker's periodic sweep finds its jobs untouched for
longer than that, and puts them back in the queue for another worker. A job is therefore
delivered at least once: what makes it run once is the job itself (a batch claims its row in
the database and each item's run has an idempotency key, ``batches/runner.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping, Sequence
from typing import Any

from redis.exceptions import RedisError
from saq import Job, Queue, Worker
from saq.job import Status
from saq.queue.redis import RedisQueue
from saq.types import Context

from llmcouncil.errors import StoreError
from llmcouncil.jobs.queue import JobHandler
from llmcouncil.jobs.settings import JobSettings, Lane

log = logging.getLogger(__name__)

# A job is retried after each worker it outlives; enough for any sequence of crashes we would
# not rather see as a failed job.
RETRIES = 50


class SweepingRedisQueue(RedisQueue):
    """SAQ's Redis queue, whose sweep spares a job it sees being dequeued.

    A worker moves a job to the active list, then marks it active: a sweep that reads it in
    between (SAQ's sweep and its dequeue loops start together, so a worker starting while
    jobs wait meets it at once) took it for a job whose worker died there, aborted it and
    lost it (saq issues #124, #277). Here such a job is swept only when the previous sweep of
    this process saw it the same way, ``jobs.sweep`` seconds before; stuck active jobs (the
    heartbeat) are swept as before. The rest is SAQ's ``RedisQueue.sweep`` unchanged.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unmarked: set[bytes] = set()

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        if not self._cleanup_script:
            self._cleanup_script = self.redis.register_script(_CLEANUP)
        id_jobs = await self._cleanup_script(
            keys=[self._sweep, self._active], args=[lock], client=self.redis
        )
        swept: list[bytes] = []
        unmarked: set[bytes] = set()
        for job_id, job_bytes in id_jobs:
            job = self.deserialize(job_bytes)
            if job is None:
                swept.append(job_id)
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self._active, 0, job_id)
                    pipe.zrem(self._incomplete, job_id)
                    await pipe.execute()
                continue
            if not job.stuck and job.status in (Status.ACTIVE, Status.ABORTING):
                continue
            if not job.stuck and job_id not in self._unmarked:
                unmarked.add(job_id)  # perhaps being dequeued right now: look again next time
                continue
            log.info("sweeping job %s", job.info(log.isEnabledFor(logging.DEBUG)))
            swept.append(job_id)
            await self.abort(job, error=self.swept_error_message)
            try:
                await job.refresh(abort)
            except TimeoutError:
                log.info("could not abort job %s", job_id)
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        self._unmarked = unmarked
        return [job_id.decode("utf-8") for job_id in swept]


# SAQ's: one sweeper at a time (a lock key for ``lock`` seconds) reads the active jobs.
_CLEANUP = """
local id_jobs = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    for i, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        id_jobs[i] = {v, redis.call('GET', v)}
    end
end
return id_jobs
"""


def queue_name(settings: JobSettings, lane: Lane) -> str:
    """``jobs.queue`` for long jobs, ``<jobs.queue>.quick`` for quick ones."""
    return settings.queue if lane == "long" else f"{settings.queue}.quick"


def saq_queue(redis_url: str, settings: JobSettings, lane: Lane = "long") -> RedisQueue:
    return SweepingRedisQueue.from_url(redis_url, name=queue_name(settings, lane))


class RedisJobQueue:
    """The producer's side: what a server holds."""

    def __init__(self, redis_url: str, settings: JobSettings, *, lane: Lane = "long") -> None:
        self._settings = settings
        self._queue = saq_queue(redis_url, settings, lane)

    @property
    def engine(self) -> str:
        return "redis"

    async def enqueue(self, kind: str, key: str) -> None:
        job = Job(
            function=kind,
            key=f"{kind}:{key}",
            kwargs={"key": key},
            timeout=0,  # a batch takes as long as its questions; liveness is the heartbeat
            heartbeat=self._settings.heartbeat,
            retries=RETRIES,
        )
        try:
            await self._queue.enqueue(job)
        except (RedisError, OSError) as exc:
            raise StoreError(f"the job queue (Redis) is unreachable: {exc}") from exc

    async def aclose(self) -> None:
        await self._queue.disconnect()


def _wrap(kind: str, handler: JobHandler, heartbeat: int) -> tuple[str, Any]:
    """SAQ's calling convention around ``handler``, with the heartbeat kept while it runs."""

    async def run(ctx: Context, *, key: str) -> None:
        job = ctx.get("job")
        if job is None:  # SAQ always hands the job to the function it runs
            raise RuntimeError(f"{kind} {key}: no job in the worker's context")
        # This worker's heartbeat, not the enqueuer's, decides when the job counts as lost.
        await job.update(heartbeat=heartbeat)

        async def beat() -> None:
            while True:
                await asyncio.sleep(heartbeat / 3)
                await job.update()  # touches the job: its worker is alive

        beating = asyncio.create_task(beat(), name=f"heartbeat-{kind}-{key}")
        try:
            await handler(key)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    return kind, run


def job_worker(
    queue: Queue, handlers: Mapping[str, JobHandler], settings: JobSettings, lane: Lane = "long"
) -> Worker[Context]:
    """A SAQ worker running ``handlers`` from ``queue`` (of ``lane``); ``await worker.start()``
    runs it until SIGINT/SIGTERM (or ``worker.stop()``), and an unfinished job is handed back
    to the queue at once."""
    functions = [_wrap(kind, handler, settings.heartbeat) for kind, handler in handlers.items()]
    return Worker(
        queue,
        functions=functions,
        concurrency=settings.concurrency if lane == "long" else settings.quick_concurrency,
        timers={"sweep": settings.sweep, "abort": 1, "schedule": 60, "worker_info": 10},
    )


async def run_workers(workers: Sequence[Worker[Context]]) -> None:
    """Run ``workers`` (one per lane) in this event loop until SIGINT or SIGTERM, then stop
    them all, each handing its unfinished jobs back. SAQ's own signal handling is for one
    worker per loop (a second one's handler replaces the first's), so it is done here."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for worker in workers:
        worker.SIGNALS = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    running = [asyncio.create_task(w.start(), name=f"worker-{w.queue.name}") for w in workers]
    try:
        ended = asyncio.create_task(stopping.wait())
        await asyncio.wait([ended, *running], return_when=asyncio.FIRST_COMPLETED)
        ended.cancel()
    finally:
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
        await asyncio.gather(*running, return_exceptions=True)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
