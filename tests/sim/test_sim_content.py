"""Reply content: each council stage gets a reply its parser can use, the same every time."""

from __future__ import annotations

import json
import re
import string

import aiohttp
from hypothesis import given
from hypothesis import strategies as st
from sim_client import chat_body, post_chat

from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.completions import split_into_chunks
from llmcouncil.sim.content import write_reply
from llmcouncil.sim.prompts import detect_prompt_kind

QUESTION = "How do I speed up a slow Python loop over a list of numbers?"


def ranking_prompt(letters: list[str], question: str = QUESTION) -> str:
    responses = "\n\n".join(
        f"Response {letter}:\nSome answer number {letter}." for letter in letters
    )
    # The instructions mention labels as examples; only the headed ones are real responses.
    return (
        "You are evaluating different responses to the following question:\n\n"
        f"Question: {question}\n\n"
        f"Here are the responses from different models (anonymized):\n\n{responses}\n\n"
        'Your task: evaluate each response, then end with the line "FINAL RANKING:" '
        'followed by a numbered list such as "1. Response C".\n\n'
        "Example:\nResponse Z is vague...\n\nFINAL RANKING:\n1. Response Z\n2. Response Y\n"
    )


def parse_final_ranking(text: str) -> list[str]:
    _, _, tail = text.partition("FINAL RANKING:")
    return re.findall(r"^\d+\. (Response [A-Z])$", tail, flags=re.MULTILINE)


def title_prompt(question: str) -> str:
    return (
        "Generate a very short title (3-5 words maximum) that summarizes the following question.\n"
        "The title should be concise and descriptive. Do not use quotes or punctuation.\n\n"
        f"Question: {question}\n\nTitle:"
    )


labels_strategy = st.lists(
    st.sampled_from(string.ascii_uppercase[:20]), min_size=1, max_size=8, unique=True
)


@given(letters=labels_strategy, model=st.sampled_from(["openai/gpt-5.1", "x-ai/grok-4", "z/q"]))
def test_ranking_covers_exactly_the_labels_present(letters: list[str], model: str) -> None:
    reply = write_reply(
        model=model, kind="ranking", prompt=ranking_prompt(letters), json_mode=False
    )

    ranked = parse_final_ranking(reply)

    assert sorted(ranked) == sorted(f"Response {letter}" for letter in letters)
    for letter in letters:
        assert f"Response {letter} is" in reply


@given(letters=labels_strategy)
def test_json_ranking_covers_exactly_the_labels_present(letters: list[str]) -> None:
    reply = write_reply(
        model="openai/gpt-5.1", kind="ranking", prompt=ranking_prompt(letters), json_mode=True
    )

    decoded = json.loads(reply)

    assert decoded["reasoning"]
    assert sorted(decoded["ranking"]) == sorted(f"Response {letter}" for letter in letters)


@given(question=st.text(min_size=0, max_size=200))
def test_titles_have_three_to_five_words_and_no_quotes(question: str) -> None:
    reply = write_reply(
        model="openai/gpt-5.1", kind="title", prompt=title_prompt(question), json_mode=False
    )

    assert 3 <= len(reply.split()) <= 5
    assert not set(reply) & set("\"'“”")
    assert "\n" not in reply


@given(text=st.text(max_size=400))
def test_stream_chunks_join_back_to_the_text(text: str) -> None:
    assert "".join(split_into_chunks(text)) == (text if text.strip() else "")


async def test_ranking_over_http_uses_the_labels_in_the_prompt(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, body = await post_chat(http, sim, chat_body(ranking_prompt(["A", "B", "C"])))

    content = body["choices"][0]["message"]["content"]
    assert sorted(parse_final_ranking(content)) == ["Response A", "Response B", "Response C"]
    assert "Response Z" not in content


async def test_json_schema_response_format_gets_a_json_ranking(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "ranking", "schema": {}}}
    body = chat_body(ranking_prompt(["B", "D"]), response_format=response_format)

    _, reply = await post_chat(http, sim, body)

    decoded = json.loads(reply["choices"][0]["message"]["content"])
    assert sorted(decoded["ranking"]) == ["Response B", "Response D"]


async def test_title_is_derived_from_the_question(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, body = await post_chat(
        http, sim, chat_body(title_prompt("Best hiking trails in Patagonia?"))
    )

    title = body["choices"][0]["message"]["content"]
    assert 3 <= len(title.split()) <= 5
    assert "Patagonia" in title


async def test_chairman_reply_refers_to_the_question(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    prompt = (
        "You are the Chairman of an LLM Council.\n\nOriginal Question: Why is the sky blue?\n\n"
        "STAGE 1 - Individual Responses: ...\n\nSTAGE 2 - Peer Rankings:\nFINAL RANKING:\n"
        "1. Response A\n"
    )

    _, body = await post_chat(http, sim, chat_body(prompt))

    content = body["choices"][0]["message"]["content"]
    assert "Why is the sky blue?" in content
    assert "FINAL RANKING:" not in content


async def test_answer_mentions_the_question_the_model_and_code_when_asked(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, code = await post_chat(http, sim, chat_body(QUESTION, model="anthropic/claude-sonnet-4.5"))
    _, prose = await post_chat(http, sim, chat_body("Which wines pair well with cheese?"))

    code_text = code["choices"][0]["message"]["content"]
    prose_text = prose["choices"][0]["message"]["content"]
    assert "claude-sonnet-4.5" in code_text
    assert "```" in code_text
    assert "Python" in code_text
    assert "```" not in prose_text
    assert "\n- " in prose_text


async def test_replies_are_deterministic_per_model_and_prompt(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    async def reply(model: str) -> str:
        _, body = await post_chat(http, sim, chat_body(QUESTION, model=model))
        return str(body["choices"][0]["message"]["content"])

    first, again = await reply("x-ai/grok-4"), await reply("x-ai/grok-4")
    async with SimServer(SimConfig.fast(seed=5)) as other_sim:
        _, elsewhere = await post_chat(http, other_sim, chat_body(QUESTION, model="x-ai/grok-4"))

    assert first == again == elsewhere["choices"][0]["message"]["content"]
    assert first != await reply("openai/gpt-5.1")


async def test_verbose_models_write_more_than_terse_ones(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    _, verbose = await post_chat(http, sim, chat_body(QUESTION, model="openai/gpt-5.1"))
    _, terse = await post_chat(http, sim, chat_body(QUESTION, model="google/gemini-2.5-flash"))

    assert verbose["usage"]["completion_tokens"] > terse["usage"]["completion_tokens"]


def test_stage_markers_are_matched_case_insensitively() -> None:
    assert detect_prompt_kind(user_text="GENERATE A VERY SHORT TITLE for: x") == "title"
    assert detect_prompt_kind(user_text="end with final ranking: then list") == "ranking"
    assert detect_prompt_kind(user_text="As the CHAIRMAN, FINAL RANKING: ...") == "chairman"
    assert detect_prompt_kind(user_text="hi", system_text="You are the Chairman.") == "chairman"
    assert detect_prompt_kind(user_text="What is a good title for a novel?") == "answer"


async def test_json_mode_answers_other_stages_in_json_too(
    http: aiohttp.ClientSession, sim: SimServer
) -> None:
    body = chat_body(title_prompt("Best hiking trails in Patagonia?"))
    body["response_format"] = {"type": "json_object"}

    _, reply = await post_chat(http, sim, body)

    assert "Patagonia" in json.loads(reply["choices"][0]["message"]["content"])["title"]
