"""Reasoning on the wire: fields and ``<think>`` blocks kept apart from the answer's text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcouncil.providers.base import (
    ChatMessage,
    Completion,
    CompletionRequest,
    ReasoningDelta,
    TextDelta,
    final,
)
from llmcouncil.providers.openai_compat import OpenAICompatProvider
from llmcouncil.providers.reasoning import split_reasoning
from llmcouncil.providers.reasoning_stream import ThinkFilter
from llmcouncil.sim import SimServer

MODEL = "deepseek/deepseek-chat"


@pytest.fixture
async def provider(sim: SimServer) -> AsyncIterator[OpenAICompatProvider]:
    adapter = OpenAICompatProvider(name="sim", base_url=sim.base_url, api_key="sk-test")
    try:
        yield adapter
    finally:
        await adapter.aclose()


def request() -> CompletionRequest:
    return CompletionRequest(
        model=MODEL,
        messages=(ChatMessage("user", "Explain tides"),),
        timeout=10.0,
        first_token_timeout=5.0,
    )


def reasoning_style(sim: SimServer, style: str) -> None:
    sim.configure(sim.config.model_copy(update={"reasoning": {MODEL: style}}))


async def streamed(
    provider: OpenAICompatProvider,
) -> tuple[list[str], list[str], Completion]:
    text: list[str] = []
    thought: list[str] = []
    answer: Completion | None = None
    async for item in provider.stream(request(), watched=True):
        if isinstance(item, TextDelta):
            text.append(item.text)
        elif isinstance(item, ReasoningDelta):
            thought.append(item.text)
        else:
            answer = item
    assert answer is not None
    return text, thought, answer


@pytest.mark.parametrize("style", ["reasoning", "reasoning_content", "think"])
async def test_reasoning_is_apart_from_the_text_in_every_shape(
    provider: OpenAICompatProvider, sim: SimServer, style: str
) -> None:
    reasoning_style(sim, style)
    text, thought, watched = await streamed(provider)
    unwatched = await final(provider.stream(request(), watched=False))
    for result in (watched, unwatched):
        assert result.reasoning is not None and result.reasoning.startswith("Thinking as")
        assert "Thinking as" not in result.text and "think>" not in result.text
        assert result.text.startswith("Here") or result.text  # the answer itself is kept
    assert watched.text == unwatched.text
    assert watched.reasoning == unwatched.reasoning
    # Tokens watched live never show the reasoning as answer text.
    assert "".join(text).strip() == watched.text
    assert "".join(thought).strip() == watched.reasoning
    if style != "think":
        assert sim.requests  # the field came from the upstream, not from the content


async def test_a_reply_without_reasoning_has_none(provider: OpenAICompatProvider) -> None:
    text, thought, answer = await streamed(provider)
    assert answer.reasoning is None and thought == [] and "".join(text) == answer.text


@pytest.mark.parametrize(
    "reply",
    [
        "<think>plan: A then B</think>\n\nThe answer.",
        "Intro. <THINKING>hidden</THINKING> Outro.",
        "<think>cut off while thinking",
        "The answer. <think>a block opened late and never closed",
        "a < b and c > d, no tags <at all>",
        "<think>one</think>mid<reasoning>two</reasoning>end",
        "<think>a block</think> then a stray </think> in the text",
    ],
)
def test_the_stream_filter_agrees_with_the_split(reply: str) -> None:
    for size in (1, 2, 3, 7, len(reply)):
        shown, thought = _filtered(reply, size)
        visible, reasoning = split_reasoning(reply)
        assert shown.strip() == visible
        if "<think>" not in visible:  # a late unclosed block was streamed as reasoning first
            assert "".join(thought.split()) == "".join((reasoning or "").split())


@given(st.text(alphabet="ab <>/thinkTHINK\n", max_size=60), st.integers(1, 9))
def test_the_stream_filter_never_shows_a_closed_block(reply: str, size: int) -> None:
    shown, _ = _filtered(f"x<think>{reply.replace('<', '[')}</think>y", size)
    assert shown == "xy"


def _filtered(reply: str, size: int) -> tuple[str, str]:
    splitter = ThinkFilter()
    shown: list[str] = []
    thought: list[str] = []
    for start in range(0, len(reply), size):
        text, think = splitter.feed(reply[start : start + size])
        shown.append(text)
        thought.append(think)
    shown.append(splitter.finish())
    return "".join(shown), "".join(thought)
