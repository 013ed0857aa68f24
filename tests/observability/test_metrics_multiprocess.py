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
    )
    return path


async def start_worker(
    tmp_path: Path, config: Path, metrics_dir: Path, name: str
) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    env = {
        **os.environ,
        TEST_KEY_ENV: "sk-test-not-a-real-key",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        # Each worker its own database: crash recovery is per process (docs/ARCHITECTURE.md).
        "COUNCIL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / name}.db",
        "COUNCIL_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / f"{name}.log").open("w") as log:  # the child keeps its own descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "llmcouncil", "serve", "--config", str(config), "--port", str(port)),
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=log,
        )
    return process, f"http://127.0.0.1:{port}"


async def wait_ready(client: httpx.AsyncClient, url: str) -> None:
    for _ in range(300):
        try:
            if (await client.get(f"{url}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not start")


def logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(tmp_path.glob("*.log")))


async def test_a_scrape_of_either_worker_counts_the_councils_of_both(
    tmp_path: Path, sim: SimServer
) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    config = council_toml(tmp_path, sim)
    workers = [await start_worker(tmp_path, config, metrics_dir, name) for name in ("a", "b")]
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                await asyncio.gather(*(wait_ready(client, url) for _, url in workers))
            except AssertionError as exc:
                raise AssertionError(logs(tmp_path)) from exc
            body = {"model": "council", "messages": [{"role": "user", "content": "Hi"}]}
            for _, url in workers:
                response = await client.post(f"{url}/v1/chat/completions", json=body)
                assert response.status_code == 200, response.text + logs(tmp_path)
            scraped = (await client.get(f"{workers[0][1]}/metrics")).text
    finally:
        for process, _ in workers:
            process.terminate()
        await asyncio.gather(*(process.wait() for process, _ in workers))
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
