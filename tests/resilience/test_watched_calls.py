"""Whether a call's tokens are watched is its plan's ``watched`` field, and it reaches the
provider as such: a watched call streams deltas to its listener, an unwatched one takes the
provider's fast path and sends none; the first-token deadline holds either way."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_council import fake_council

from llmcouncil.errors import UpstreamTimeoutError
from llmcouncil.providers.base import ChatMessage, CompletionRequest
from llmcouncil.providers.fake import FakeProvider, FakeReply
from llmcouncil.resilience.attempt import send
from llmcouncil.resilience.call_plan import CallListeners, CallPlan
from llmcouncil.resilience.calls import ModelCaller

QUESTION = (ChatMessage("user", "Why is the sky blue?"),)


def plan(*, watched: bool) -> CallPlan:
    return CallPlan(stage=1, model="m1", watched=watched, messages=QUESTION)


@pytest.mark.parametrize("watched", [False, True])
async def test_the_plan_says_whether_tokens_are_watched(tmp_path: Path, watched: bool) -> None:
    heard: list[str] = []
    async with fake_council(tmp_path) as council:
        council.fake.enqueue("m1", FakeReply("Rayleigh scattering of sunlight.", chunks=4))
        caller = ModelCaller(council.fake_registry, council.settings)
        record = await caller.call(plan(watched=watched), CallListeners(on_delta=heard.append))
    assert council.fake.watched == [watched]  # what reached the provider
    assert record.ok and record.text == "Rayleigh scattering of sunlight."
    if watched:
        assert len(heard) == 4 and "".join(heard) == record.text
    else:
        assert heard == []  # nobody watches: no delta reaches a listener


def held(first_token_timeout: float) -> tuple[FakeProvider, CompletionRequest]:
    """A provider whose reply never starts, and a request that will not wait for ever."""
    fake = FakeProvider()
    fake.enqueue("m1", FakeReply("never", release=asyncio.Event()))
    request = CompletionRequest(
        model="m1", messages=QUESTION, timeout=30.0, first_token_timeout=first_token_timeout
    )
    return fake, request


@pytest.mark.parametrize("watched", [False, True])
async def test_the_first_token_deadline_holds_watched_or_not(watched: bool) -> None:
    fake, request = held(first_token_timeout=0.05)
    with pytest.raises(UpstreamTimeoutError, match="first token within 0.05 s"):
        await send(fake, request, watched=watched, on_delta=None)
    assert fake.watched == [watched]
