"""The prompts of the three stages and the title, and the conversation history they carry.

Stage 2 keeps the original's ``FINAL RANKING:`` contract so any model can answer in plain text;
when the upstream supports structured output it is asked for JSON with the same meaning.
Stage 3 shows the Chairman labels, never model names, so brand does not sway the synthesis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmcouncil.providers.base import ChatMessage

RANKING_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string", "description": "Evaluation of each response."},
        "ranking": {
            "type": "array",
            "items": {"type": "string"},
            "description": 'Every response label, best first, e.g. "Response C".',
        },
    },
    "required": ["reasoning", "ranking"],
    "additionalProperties": False,
}


def history_messages(history: Sequence[tuple[str, str]], *, max_chars: int) -> list[ChatMessage]:
    """Earlier turns as user/assistant messages; the oldest drop first past ``max_chars``."""
    kept: list[tuple[str, str]] = []
    used = 0
    for question, answer in reversed(history):
        size = len(question) + len(answer)
        if used + size > max_chars:
            break
        kept.append((question, answer))
        used += size
    messages: list[ChatMessage] = []
    for question, answer in reversed(kept):
        messages += [ChatMessage("user", question), ChatMessage("assistant", answer)]
    return messages


def _with_system(system: str, messages: list[ChatMessage]) -> tuple[ChatMessage, ...]:
    return tuple([ChatMessage("system", system), *messages] if system else messages)


def answer_messages(
    *, question: str, history: list[ChatMessage], system: str = ""
) -> tuple[ChatMessage, ...]:
    return _with_system(system, [*history, ChatMessage("user", question)])


def _labelled_answers(answers: Sequence[tuple[str, str]]) -> str:
    return "\n\n".join(f"{label}:\n{text}" for label, text in answers)


def ranking_messages(
    *,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[tuple[str, str]],
    structured: bool,
    system: str = "",
) -> tuple[ChatMessage, ...]:
    """``answers`` are (label, text) in the order this reviewer should see them."""
    labels = ", ".join(label for label, _ in answers)
    if structured:
        output = (
            'Answer with a JSON object: "reasoning" holds your evaluation of each response, '
            '"ranking" is your FINAL RANKING: every label, best first, exactly as written '
            f"({labels})."
        )
    else:
        output = (
            "IMPORTANT: your final ranking MUST be formatted EXACTLY as follows:\n"
            '- Start with the line "FINAL RANKING:" (all caps, with colon)\n'
            "- Then list the responses from best to worst as a numbered list\n"
            "- Each line is: number, period, space, then ONLY the response label "
            '(e.g., "1. Response A")\n'
            "- Add no other text or explanation in the ranking section\n\n"
            "Example of the end of your response:\n\n"
            "FINAL RANKING:\n1. Response C\n2. Response A\n3. Response B"
        )
    prompt = (
        "You are evaluating different responses to the following question.\n\n"
        f"Question: {question}\n\n"
        "Here are the responses from different models (anonymised):\n\n"
        f"{_labelled_answers(answers)}\n\n"
        "Your task:\n"
        "1. Evaluate each response on its own: what it does well and what it does poorly. "
        "Judge accuracy and usefulness, not length or position.\n"
        f"2. Then rank all of them ({labels}).\n\n"
        f"{output}"
    )
    return _with_system(system, [*history, ChatMessage("user", prompt)])


def chairman_messages(
    *,
    question: str,
    history: list[ChatMessage],
    answers: Sequence[tuple[str, str]],
    reviews: Sequence[str],
    aggregate: Sequence[tuple[str, float]],
    system: str = "",
) -> tuple[ChatMessage, ...]:
    """``answers`` are (label, text) in label order; ``aggregate`` is (label, average rank)."""
    if reviews:
        review_text = "\n\n".join(
            f"Reviewer {i}:\n{text}" for i, text in enumerate(reviews, start=1)
        )
    else:
        review_text = "(no peer review: fewer than two answers were available)"
    if aggregate:
        ranking_text = ", ".join(f"{label} ({avg:.2f})" for label, avg in aggregate)
    else:
        ranking_text = "(none)"
    prompt = (
        "You are the Chairman of an LLM Council. Several models answered the user's question, "
        "then reviewed and ranked each other's answers anonymously.\n\n"
        f"Original question: {question}\n\n"
        f"STAGE 1 - Individual responses:\n\n{_labelled_answers(answers)}\n\n"
        f"STAGE 2 - Peer reviews:\n\n{review_text}\n\n"
        f"Aggregate ranking (average position, lower is better): {ranking_text}\n\n"
        "Your task as Chairman: write the single best answer to the user's question. Use the "
        "strongest points of the responses, correct what the reviews showed to be wrong, and "
        "say where the council disagrees when it matters. Answer the user directly; do not "
        "describe the process."
    )
    return _with_system(system, [*history, ChatMessage("user", prompt)])


def title_messages(question: str) -> tuple[ChatMessage, ...]:
    prompt = (
        "Generate a very short title (3-5 words maximum) that summarizes the following "
        "question. The title should be concise and descriptive. Do not use quotes or "
        f"punctuation in the title.\n\nQuestion: {question}\n\nTitle:"
    )
    return (ChatMessage("user", prompt),)


def clean_title(raw: str, *, max_chars: int) -> str:
    line = next((ln for ln in raw.strip().splitlines() if ln.strip()), "")
    line = line.strip().strip("\"'`*#").removeprefix("Title:").strip().strip("\"'`*")
    if len(line) > max_chars:
        line = line[: max_chars - 1].rstrip() + "…"
    return line


def fallback_title(question: str, *, max_chars: int = 50) -> str:
    words = " ".join(question.split())
    return words if len(words) <= max_chars else words[: max_chars - 1].rstrip() + "…"
