"""S1's floor: the ten upstream calls of one council made straight from the benchmark process.

No server, no database, no policy layer: stage 1 is the four members and the title at once,
stage 2 the four reviews (prompts carrying the stage-1 answers, built by the project's own
prompt functions so the simulator does the same work), stage 3 the chairman; each call is a
streamed request read to its end with a plain aiohttp client, as the server reads it. What this
takes beyond the 600 ms critical path is the part of S1's overhead that belongs to the
simulator, loopback and an HTTP client, not to the server; the rest is the server's own.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import aiohttp
from harness import CHAIRMAN, MEMBERS, TITLE_MODEL
from load import QUESTION

from llmcouncil.council import prompts
from llmcouncil.providers.base import ChatMessage

_LABELS = [f"Response {letter}" for letter in "ABCD"]


def _body(
    model: str,
    messages: Sequence[ChatMessage],
    *,
    schema: dict[str, Any] | None = None,
) -> bytes:
    payload: dict[str, Any] = {
        "model": model,
        "messages": [m.as_wire() for m in messages],
        "stream": True,  # every call of the server is streamed, the title's too
        "stream_options": {"include_usage": True},
    }
    if schema is not None:  # the server asks for structured rankings the same way
        payload["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "strict": True, "schema": schema},
        }
    return json.dumps(payload).encode()


async def _call(http: aiohttp.ClientSession, url: str, body: bytes) -> str:
    """One call read to its end; returns the streamed text."""
    headers = {"Content-Type": "application/json"}
    async with http.post(url, data=body, headers=headers) as response:
        raw = await response.read()
    if response.status != 200:
        raise RuntimeError(f"simulator answered {response.status}: {raw[:200]!r}")
    parts: list[str] = []
    for line in raw.split(b"\n"):
        if line.startswith(b"data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                parts.append(choice.get("delta", {}).get("content") or "")
    return "".join(parts)


async def one_council(http: aiohttp.ClientSession, url: str) -> float:
    """Seconds for the three stages of one council, called directly."""
    started = time.perf_counter()
    title = asyncio.ensure_future(
        _call(http, url, _body(TITLE_MODEL, prompts.title_messages(QUESTION)))
    )
    ask = prompts.answer_messages(question=QUESTION, history=[])
    answers = await asyncio.gather(*(_call(http, url, _body(m, ask)) for m in MEMBERS))
    labelled = [(label, prompts.quote(text)) for label, text in zip(_LABELS, answers, strict=True)]
    review = prompts.ranking_messages(
        question=QUESTION, history=[], answers=labelled, structured=True, nonce="floor2"
    )
    schema = dict(prompts.RANKING_SCHEMA)
    reviews = await asyncio.gather(
        *(_call(http, url, _body(m, review, schema=schema)) for m in MEMBERS)
    )
    chair = prompts.chairman_messages(
        question=QUESTION,
        history=[],
        answers=labelled,
        reviews=[prompts.ChairReview(text=prompts.quote(text), vote="full") for text in reviews],
        order=list(_LABELS),
        no_clear_winner=False,
        nonce="floor3",
    )
    await _call(http, url, _body(CHAIRMAN, chair))
    wall = time.perf_counter() - started
    await title
    return wall


async def upstream_floor(sim_base_url: str, *, councils: int) -> list[float]:
    """Wall times of ``councils`` councils, one at a time, after a short warm-up."""
    url = f"{sim_base_url}/chat/completions"
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as http:
        for _ in range(3):
            await one_council(http, url)
        return [await one_council(http, url) for _ in range(councils)]
