"""Which queue this deployment uses: SAQ on Redis, or tasks of this process."""

from __future__ import annotations

from collections.abc import Mapping

from llmcouncil.config import Settings
from llmcouncil.errors import ConfigError
from llmcouncil.jobs.queue import InProcessJobQueue, JobHandler, JobQueue
from llmcouncil.jobs.settings import Lane


def uses_workers(settings: Settings) -> bool:
    """Whether jobs go to ``council worker`` processes (Redis) rather than run in-process."""
    backend = settings.jobs.backend
    if backend == "auto":
        return settings.redis_url is not None
    return backend == "redis"


def job_queue(
    settings: Settings, handlers: Mapping[str, JobHandler], *, lane: Lane = "long"
) -> JobQueue:
    """The queue this deployment uses; ``handlers`` run jobs when they run in this process;
    ``lane``: on Redis, the queue of long jobs or that of quick ones (``saq_queue.py``)."""
    if not uses_workers(settings):
        return InProcessJobQueue(handlers)
    if settings.redis_url is None:
        raise ConfigError(["jobs.backend is redis, but COUNCIL_REDIS_URL is not set"])
    from llmcouncil.jobs.saq_queue import RedisJobQueue  # SAQ only where Redis is used

    return RedisJobQueue(settings.redis_url, settings.jobs, lane=lane)
