"""Two server processes share PROMETHEUS_MULTIPROC_DIR: either one's scrape counts both."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from support import MEMBERS, TEST_KEY_ENV, free_port

from llmcouncil.sim import SimServer


def council_toml(tmp_path: Path, sim: SimServer) -> Path:
    path = tmp_path / "council.toml"
    members = ", ".join(f'"{m}"' for m in MEMBERS)
    path.write_text(
        'default_provider = "sim"\n'
        "[providers.sim]\n"
        f'base_url = "{sim.base_url}"\n'
        f'api_key_env = "{TEST_KEY_ENV}"\n'
        "[presets.default]\n"
        f"members = [{members}]\n"
        'chairman = "google/gemini-3-pro-preview"\n'
        # Every member's answer is awaited: on a busy machine a member a second behind the
        # quorum would otherwise be cut as a straggler and the council counted as degraded.
        "[resilience.stragglers]\n"
        "enabled = false\n"
    )
    return path


class Worker:
    """One ``council serve`` process; its log lines are kept for the failure message."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url
        self.log: list[str] = []
        self._drain: asyncio.Task[None] | None = None

    async def listening(self) -> None:
        """Return when the server says it listens; fail with its log if it exits first.

        Read from its own log rather than polled against a clock: a busy machine may take
        many seconds to import and start two servers, and that is not a failure.
        """
        assert self.process.stderr is not None
        while line := (await self.process.stderr.readline()).decode():
            self.log.append(line)
            if "Uvicorn running on" in line:
                # Keep draining, so a full pipe never blocks the server's logging.
                self._drain = asyncio.create_task(self._keep_reading())
                return
        raise AssertionError(f"{self.url} exited before listening:\n{''.join(self.log)}")

    async def _keep_reading(self) -> None:
        assert self.process.stderr is not None
        while line := (await self.process.stderr.readline()).decode():
            self.log.append(line)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()


async def start_worker(tmp_path: Path, config: Path, metrics_dir: Path, name: str) -> Worker:
    port = free_port()
    env = {
        **os.environ,
        TEST_KEY_ENV: "sk-test-not-a-real-key",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        # Each worker its own database: crash recovery is per process (docs/ARCHITECTURE.md).
        "COUNCIL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / name}.db",
        "COUNCIL_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "llmcouncil", "serve", "--config", str(config), "--port", str(port)),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Worker(process, f"http://127.0.0.1:{port}")


async def test_a_scrape_of_either_worker_counts_the_councils_of_both(
    tmp_path: Path, sim: SimServer
) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    config = council_toml(tmp_path, sim)
    workers = [await start_worker(tmp_path, config, metrics_dir, name) for name in ("a", "b")]
    try:
        await asyncio.gather(*(worker.listening() for worker in workers))
        # No client deadline: how long a council takes on a busy machine is not the question.
        async with httpx.AsyncClient(timeout=None) as client:
            body = {"model": "council", "messages": [{"role": "user", "content": "Hi"}]}
            for worker in workers:
                response = await client.post(f"{worker.url}/v1/chat/completions", json=body)
                assert response.status_code == 200, response.text + "".join(worker.log)
            scraped = (await client.get(f"{workers[0].url}/metrics")).text
    finally:
        await asyncio.gather(*(worker.stop() for worker in workers))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    councils = ("llmcouncil_councils_total", (("outcome", "complete"), ("preset", "default")))
    assert samples[councils] == 2
    answers = [
        v
        for (name, labels), v in samples.items()
        if name == "llmcouncil_model_call_duration_seconds_count" and ("stage", "answers") in labels
    ]
    assert sum(answers) == 2 * len(MEMBERS)
    assert len(list(metrics_dir.glob("*.db"))) >= 2  # one file set per process
