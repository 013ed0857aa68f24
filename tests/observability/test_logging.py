"""Structured logs: one JSON object per line naming its request and run, no keys, no prompts."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support import TEST_KEY_ENV, LiveServer

from llmcouncil.observability.logging import configure_logging, mask_secrets, setup_logging
from llmcouncil.sim import FaultSpec, SimServer

QUESTION = "My secret plan for Tuesday: should I learn the oboe?"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    yield stream
    for handler in [h for h in root.handlers if h.get_name() == "llmcouncil"]:
        root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_every_line_of_a_request_and_its_run_names_both(
    make_settings: Any, start_server: Any, sim: SimServer, log_stream: io.StringIO
) -> None:
    settings = make_settings(observability={"log_format": "json"})
    setup_logging(settings, stream=log_stream)
    live: LiveServer = await start_server(settings)
    sim.configure(
        sim.config.model_copy(update={"faults": {"x-ai/grok-4": [FaultSpec(status=402)]}})
    )
    body = {"model": "council", "messages": [{"role": "user", "content": QUESTION}]}
    async with httpx.AsyncClient(base_url=live.base_url, timeout=60) as client:
        response = await client.post(
            "/v1/chat/completions", json=body, headers={"X-Request-ID": "req-42"}
        )
    assert response.headers["x-request-id"] == "req-42"
    run_id = response.json()["council"]["run_id"]
    logged = lines(log_stream)
    failed = [e for e in logged if e["message"].startswith("model call failed")]
    assert failed and all(e["run_id"] == run_id and e["request_id"] == "req-42" for e in failed)
    assert failed[0]["level"] == "warning" and failed[0]["timestamp"].endswith("Z")
    access = [e for e in logged if e["logger"] == "llmcouncil.access"]
    assert access[-1]["message"] == "POST /v1/chat/completions 200"
    assert access[-1]["request_id"] == "req-42" and access[-1]["status"] == 200
    assert all(
        {"timestamp", "level", "logger", "message", "request_id", "run_id"} <= set(e)
        for e in logged
    )
    raw = log_stream.getvalue()
    assert QUESTION not in raw and "oboe" not in raw
    assert "sk-test-not-a-real-key" not in raw
    # A configured provider key is masked even where something logs it by mistake.
    logging.getLogger("llmcouncil.test").error("key=%s", os.environ[TEST_KEY_ENV])
    assert lines(log_stream)[-1]["message"] == "key=***"


def test_keys_are_masked_and_a_terminal_gets_readable_lines(log_stream: io.StringIO) -> None:
    configure_logging("INFO", fmt="console", stream=log_stream)
    logging.getLogger("llmcouncil.test").warning(
        "upstream said: bad key sk-live-abcdefghijklmnop", extra={"model": "x"}
    )
    line = log_stream.getvalue().strip()
    assert "upstream said: bad key sk-***" in line and "model=x" in line
    assert not line.startswith("{")
    assert mask_secrets("Authorization: Bearer abc.def-ghi") == "Authorization: Bearer ***"


async def test_a_demo_start_names_the_simulator_once_and_no_recognizer(
    log_stream: io.StringIO, tmp_path: Any
) -> None:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.config import Settings

    configure_logging("INFO", fmt="json", stream=log_stream)
    logging.getLogger("presidio-analyzer").info("Loaded recognizer: CreditCardRecognizer")
    logging.getLogger("presidio-analyzer").warning("a recognizer could not load")
    settings = Settings(demo=True, database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    runtime = await Runtime.start(settings)
    await runtime.stop()

    messages = [line["message"] for line in lines(log_stream)]
    assert "a recognizer could not load" in messages
    assert not [m for m in messages if "Loaded recognizer" in m]
    assert len([m for m in messages if "127.0.0.1" in m and "/v1" in m]) == 1
