"""The job queues themselves: the in-process queue runs a key once at a time; SAQ's Redis queue,
as we sweep it, spares a job caught between its dequeue and its "active" mark (saq #124, #277)
and takes it back only when a second sweep finds it the same way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from saq import Job
from saq.job import Status

from llmcouncil.config import Settings
from llmcouncil.jobs.deployment import job_queue, uses_workers
from llmcouncil.jobs.queue import InProcessJobQueue
from llmcouncil.jobs.saq_queue import SweepingRedisQueue, saq_queue
from llmcouncil.jobs.settings import JobSettings

REDIS = "redis://127.0.0.1:6379/0"


async def test_the_in_process_queue_runs_a_key_once_at_a_time() -> None:
    started: list[str] = []
    gate, both = asyncio.Event(), asyncio.Event()

    async def handler(key: str) -> None:
        started.append(key)
        if {"a", "b"} <= set(started):
            both.set()
        await gate.wait()

    queue = InProcessJobQueue({"batch": handler})
    await queue.enqueue("batch", "a")
    await queue.enqueue("batch", "a")  # waiting or running: a no-op
    await queue.enqueue("batch", "b")
    await asyncio.wait_for(both.wait(), 10)
    assert sorted(started) == ["a", "b"] and queue.running("batch", "a")
    gate.set()
    await queue.wait("batch", "a")
    await queue.wait("batch", "b")
    assert not queue.running("batch", "a")
    await queue.enqueue("batch", "a")  # ended: runs again
    await queue.wait("batch", "a")
    assert started.count("a") == 2
    with pytest.raises(KeyError, match="no handler"):
        await queue.enqueue("report", "a")
    await queue.aclose()


async def test_a_failing_job_is_logged_and_stopping_cancels_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cancelled, running = asyncio.Event(), asyncio.Event()

    async def failing(key: str) -> None:
        raise RuntimeError(f"{key} broke")

    async def endless(key: str) -> None:
        running.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    queue = InProcessJobQueue({"fail": failing, "wait": endless})
    await queue.enqueue("fail", "x")
    await queue.wait("fail", "x")
    assert "job fail x failed" in caplog.text
    await queue.enqueue("wait", "y")
    await asyncio.wait_for(running.wait(), 10)
    await queue.aclose()
    assert cancelled.is_set() and not queue.running("wait", "y")


def test_the_settings_choose_the_queue() -> None:
    local = Settings(redis_url=None)
    assert not uses_workers(local) and job_queue(local, {}).engine == "local"
    shared = Settings(redis_url=REDIS)
    assert uses_workers(shared)
    assert not uses_workers(Settings(redis_url=REDIS, jobs=JobSettings(backend="local")))
    assert uses_workers(Settings(redis_url=None, jobs=JobSettings(backend="redis")))
    with pytest.raises(Exception, match="COUNCIL_REDIS_URL is not set"):
        job_queue(Settings(redis_url=None, jobs=JobSettings(backend="redis")), {})


@pytest.fixture
async def redis_queue() -> AsyncIterator[SweepingRedisQueue]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    queue = saq_queue(REDIS, JobSettings(queue=name))
    assert isinstance(queue, SweepingRedisQueue)
    await queue.connect()
    try:
        yield queue
    finally:
        for pattern in (f"saq:{name}:*", f"saq:job:{name}:*"):
            async for key in queue.redis.scan_iter(match=pattern):
                await queue.redis.delete(key)
        await queue.disconnect()


async def _sweep(queue: SweepingRedisQueue) -> list[str]:
    await queue.redis.delete(queue.namespace("sweep"))  # the lock one sweep holds for `lock` s
    return await queue.sweep(lock=60, abort=0.1)


async def test_a_job_being_dequeued_is_swept_only_at_the_second_sighting(
    redis_queue: SweepingRedisQueue,
) -> None:
    await redis_queue.enqueue(Job(function="batch", key="batch:1", timeout=0, heartbeat=15))
    taken = await redis_queue.dequeue()  # in the active list, not yet marked active
    assert taken is not None and taken.status == Status.QUEUED
    assert await _sweep(redis_queue) == []
    again = await redis_queue.job("batch:1")
    assert again is not None and again.status == Status.QUEUED
    # Still unmarked a sweep later: its worker died there. It goes back to the queue.
    assert await _sweep(redis_queue) == [taken.id]
    requeued = await redis_queue.dequeue()
    assert requeued is not None and requeued.key == "batch:1"


async def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(
    redis_queue: SweepingRedisQueue,
) -> None:
    await redis_queue.enqueue(Job(function="batch", key="batch:2", timeout=0, heartbeat=15))
    taken = await redis_queue.dequeue()
    assert taken is not None
    await taken.update(status=Status.ACTIVE)
    assert await _sweep(redis_queue) == []
    assert await _sweep(redis_queue) == []
    stored = await redis_queue.job("batch:2")
    assert stored is not None and stored.status == Status.ACTIVE
