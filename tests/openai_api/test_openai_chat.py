"""The official ``openai`` SDK against the running server: non-streamed chat completions."""

from __future__ import annotations

import asyncio

import httpx
from openai import AsyncOpenAI, OpenAI
from support import CHAIRMAN, MEMBERS, LiveServer

from llmcouncil.sim import SimServer


def sdk(server: LiveServer) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=f"{server.base_url}/v1", api_key="local-mode", max_retries=0)


async def test_the_answer_is_the_chairmans_with_usage_of_every_call_and_the_deliberation(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    async with sdk(server) as openai:
        completion = await openai.chat.completions.create(
            model="council", messages=[{"role": "user", "content": "Why is the sky blue?"}]
        )
    council = completion.model_extra["council"] if completion.model_extra else {}
    stored = (await client.get(f"/api/conversations/{council['conversation_id']}")).json()
    run = stored["messages"][1]
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == run["stage3"]["response"]
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "council"
    assert completion.id == f"chatcmpl-{run['run_id']}"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == run["usage"]["prompt_tokens"]
    assert completion.usage.completion_tokens == run["usage"]["completion_tokens"]
    assert completion.usage.total_tokens == (
        run["usage"]["prompt_tokens"] + run["usage"]["completion_tokens"]
    )
    assert council["conversation_url"] == f"{server.base_url}/api/conversations/{stored['id']}"
    assert [a["model"] for a in council["stage1"]] == MEMBERS
    assert len(council["stage2"]) == len(MEMBERS)
    assert council["stage3"]["model"] == CHAIRMAN
    assert sorted(council["metadata"]["label_to_model"].values()) == sorted(MEMBERS)


async def test_the_synchronous_sdk_client(server: LiveServer) -> None:
    # The server runs in this test's event loop, so the blocking client gets its own thread.
    def ask() -> str | None:
        with OpenAI(base_url=f"{server.base_url}/v1", api_key="x", max_retries=0) as openai:
            completion = openai.chat.completions.create(
                model="council/default", messages=[{"role": "user", "content": "Tabs or spaces?"}]
            )
        return completion.choices[0].message.content

    answer = await asyncio.to_thread(ask)
    assert answer


async def test_a_conversation_becomes_history_and_system_messages_reach_members_and_chairman(
    server: LiveServer, client: httpx.AsyncClient, sim: SimServer
) -> None:
    messages = [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Name a prime number."},
        {"role": "assistant", "content": "Sept."},
        {"role": "user", "content": [{"type": "text", "text": "And a larger one?"}]},
    ]
    async with sdk(server) as openai:
        completion = await openai.chat.completions.create(model="council", messages=messages)  # type: ignore[arg-type]
    council = completion.model_extra["council"] if completion.model_extra else {}
    stored = (await client.get(f"/api/conversations/{council['conversation_id']}")).json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
    assert stored["messages"][0]["content"] == "Name a prime number."
    assert stored["messages"][1]["stage3"]["response"] == "Sept."
    assert stored["messages"][2]["content"] == "And a larger one?"
    assert stored["title"] == "Name a prime number."
    assert stored["messages"][1]["stage3"]["seeded"] is True
    seeded_run = stored["messages"][1]["run_id"]
    retry = await client.post(f"/api/conversations/{stored['id']}/runs/{seeded_run}/retry")
    assert retry.status_code == 409  # a client's own turn never ran: nothing to retry

    by_kind = {
        kind: [r for r in sim.requests if r.prompt_kind == kind]
        for kind in ("answer", "ranking", "chairman")
    }
    assert [len(by_kind[k]) for k in ("answer", "ranking", "chairman")] == [4, 4, 1]
    assert not [r for r in sim.requests if r.prompt_kind == "title"]  # titled from the question
    for captured in by_kind["answer"]:
        assert captured.messages[0]["role"] == "system"
        assert "Answer in French." in captured.messages[0]["content"]
        assert [m["content"] for m in captured.messages[1:]] == [
            "Name a prime number.",
            "Sept.",
            "And a larger one?",
        ]
    assert "Answer in French." in by_kind["chairman"][0].messages[0]["content"]
    assert not any(
        "Answer in French." in m["content"] for r in by_kind["ranking"] for m in r.messages
    )


async def test_a_question_asked_twice_is_two_turns_of_history(
    server: LiveServer, sim: SimServer
) -> None:
    messages = [
        {"role": "user", "content": "Go on."},
        {"role": "assistant", "content": "Once upon a time"},
        {"role": "user", "content": "Go on."},
        {"role": "assistant", "content": "there was a council"},
        {"role": "user", "content": "Go on."},
    ]
    async with sdk(server) as openai:
        await openai.chat.completions.create(model="council", messages=messages)  # type: ignore[arg-type]
    answer_prompt = next(r for r in sim.requests if r.prompt_kind == "answer")
    assert [m["content"] for m in answer_prompt.messages] == [m["content"] for m in messages]
