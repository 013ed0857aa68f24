"""Plausible replies for each council stage, the same every time for a (model, prompt) pair.

Replies are stitched from short templates filled with the question's key words: a few random
choices per reply, seeded from a hash of model and prompt, so a thousand concurrent calls cost
next to nothing. Reviewers share a hidden "quality" per response label, derived from the prompt
alone, plus their own noise: the council then reaches a visible but not unanimous consensus.

A reasoning model also thinks before it answers (``write_reasoning``): for a review its thoughts
hold a draft ranking in the opposite order, so a reader that takes reasoning for the answer is
caught. A reviewer asked again for its ranking alone (the council's repair turn) gives just that.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import zlib
from typing import NamedTuple

from llmcouncil.sim.config import PromptKind
from llmcouncil.sim.judging import JudgingConfig, leanings, signature
from llmcouncil.sim.prompts import (
    asks_for_ranking_alone,
    asks_for_structure,
    extract_question,
    keywords,
    mentions_code,
    own_answer,
    response_labels,
)

# How much each model writes relative to the others; unknown models get a stable factor.
_VERBOSITY: dict[str, float] = {
    "openai/gpt-5.1": 1.4,
    "google/gemini-3-pro-preview": 1.2,
    "anthropic/claude-sonnet-4.5": 1.3,
    "x-ai/grok-4": 0.9,
    "google/gemini-2.5-flash": 0.6,
}

_OPENINGS = (
    "Good question: *{question}* It comes down to a few ideas that fit together.",
    "You asked: *{question}* Short answer: it depends on context, but clear principles apply.",
    "Here is how I would think about *{question}*",
    "*{question}* This is easier to reason about once the moving parts are separated.",
    "Let me break *{question}* down into the parts that matter most.",
)
_POINTS = (
    "**{A}**: start here, because everything else builds on it.",
    "**{A} and {b}**: they interact, so change one and watch the other.",
    "**Trade-offs**: {a} buys simplicity at the cost of flexibility.",
    "**Common pitfall**: treating {a} as fixed when it depends on {b}.",
    "**In practice**: measure {a} before optimising {b}.",
    "**Edge cases**: {a} behaves differently at small and large scales.",
    "**Rule of thumb**: prefer the simplest approach to {a} that meets your constraints.",
)
_MIDDLES = (
    "A concrete example helps: consider how {a} plays out when {b} changes.",
    "Most confusion here comes from mixing up {a} with {b}.",
    "The literature and practical experience agree on the basics of {a}.",
    "If you only remember one thing, make it the link between {a} and {b}.",
)
_CLOSINGS = (
    "In short, focus on {a} first and refine from there. — {model}",
    "I hope this helps; ask a follow-up on {a} if you want more depth. — {model}",
    "That is the view from {model}: {a} matters most, the rest is detail.",
)
# By place in the reviewer's own ranking, so the prose agrees with the final list.
_VERDICT_BEST = "is the strongest: accurate, well organised and it addresses {a} directly."
_VERDICT_MIDDLE = "is solid on {a} but misses some nuance and could be better structured."
_VERDICT_WORST = "is the weakest: it stays vague about {a} and skips an important caveat."
_TITLE_FILLERS = ("Explained", "Overview", "Basics")
_TITLE_FALLBACK = "Quick Question Overview"
_TITLE_JUNK = re.compile(r"[^\w+#-]")
_QUESTION_IN_TEXT_CHARS = 120


def write_reply(
    *,
    model: str,
    kind: PromptKind,
    prompt: str,
    json_mode: bool,
    judging: JudgingConfig | None = None,
    context: str = "",
) -> str:
    """The reply text `model` gives to `prompt`, recognised as a `kind` stage prompt.

    ``context``: the request's other user messages; when they carry documents, answers and the
    synthesis cite one of the sections shown, as the council asks models to.
    """
    rng = random.Random(_seed(model, kind, prompt))
    question = extract_question(prompt, kind=kind)
    words = keywords(question) or ["the topic", "the details"]
    if kind == "ranking":
        scripted = _Scripted(judging, model) if judging is not None else None
        if asks_for_ranking_alone(prompt):
            return _numbered(_ranked_labels(prompt=prompt, rng=rng, scripted=scripted))
        return _ranking(
            model=model, prompt=prompt, words=words, rng=rng, json_mode=json_mode, scripted=scripted
        )
    if kind == "title":
        text = _title(words=keywords(question, limit=5), rng=rng)
    elif kind == "chairman":
        text = _chairman(model=model, question=question, words=words, rng=rng)
        if asks_for_structure(prompt):
            text += "\n\n" + _structure(prompt=prompt, words=words, rng=rng)
    elif kind == "revision":
        return _revised(prompt=prompt, words=words, rng=rng)
    elif kind == "continuation":
        # Goes on from where the cut text stopped (its question is in the conversation).
        topic = keywords(context) or ["this"]
        return (
            f" — and that is the heart of it.\n\n**To finish:** weigh {rng.choice(topic)} "
            "against your own constraints, and revisit the choice as they change."
        )
    else:
        # Scripted judging: one verbosity for every model, so an answer's length says
        # nothing about who wrote it (its seeded extra paragraphs make it vary).
        scale = 1.0 if judging is not None else None
        text = _answer(model=model, question=question, words=words, rng=rng, scale=scale)
        if judging is not None:
            text = _judged_answer(text, model=model, words=words, judging=judging, rng=rng)
    if kind in ("answer", "chairman"):
        text = _with_citation(text, model=model, context=context)
    if json_mode:
        # A model asked for JSON answers in JSON whatever the stage; the key is our best guess.
        return json.dumps({"title" if kind == "title" else "answer": text})
    return text


# A section as the council marks it in a document: "[§3.2 Title, p. 41]" or "[§3 Title]".
_SECTION_MARKER = re.compile(
    r"^\[§(?P<number>\d{1,3}(?:\.\d{1,3}){0,5})\b[^\]\n]*?"
    r"(?:, (?P<pages>pp?\. \d{1,5})[^\]\n]*)?\]",
    re.MULTILINE,
)


def _with_citation(text: str, *, model: str, context: str) -> str:
    """The text with a citation of one section the request showed, chosen by a seed."""
    if "<document" not in context:
        return text
    sections = [m for m in _SECTION_MARKER.finditer(context) if m.group("number") != "0"]
    if not sections:
        return text
    chosen = random.Random(_seed(model, "citation", context)).choice(sections)
    page = re.search(r"\d+", chosen.group("pages") or "")
    cite = f"[§{chosen.group('number')}{f', p. {page.group(0)}' if page else ''}]"
    return f"{text}\n\nThe document makes this point itself {cite}."


def write_reasoning(*, model: str, kind: PromptKind, prompt: str) -> str:
    """What a reasoning `model` thinks before its reply to `prompt`."""
    rng = random.Random(_seed(model, f"{kind}:reasoning", prompt))
    words = keywords(extract_question(prompt, kind=kind)) or ["the topic"]
    opening = f"Thinking as {display_name(model)}: the user wants {rng.choice(words)} explained."
    if kind != "ranking":
        return f"{opening} I should cover the basics first, then the caveats."
    # The draft is the reply's own order reversed (the reply draws from a generator seeded the
    # same way), so a parser that read the reasoning instead of the reply is always caught.
    reply_order = _ranked_labels(prompt=prompt, rng=random.Random(_seed(model, kind, prompt)))
    draft = list(reversed(reply_order))
    return f"{opening} A first impression, to be checked:\n\n{_numbered(draft)}"


def write_unformatted(*, model: str) -> str:
    """A review that forgets the requested format: opinions, but no ranking to read."""
    return (
        f"Review by {display_name(model)}: each of these answers has real strengths, and I would "
        "rather describe them than put them in order. Together they cover the question well."
    )


def verbosity(model: str) -> float:
    known = _VERBOSITY.get(model)
    if known is not None:
        return known
    return 0.7 + (zlib.crc32(model.encode()) % 8) / 10


def display_name(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def _answer(
    *, model: str, question: str, words: list[str], rng: random.Random, scale: float | None = None
) -> str:
    scale = verbosity(model) if scale is None else scale
    parts = [rng.choice(_OPENINGS).format(**_filler(question=question, words=words, rng=rng))]
    parts.append(_bullets(count=round(3 * scale), question=question, words=words, rng=rng))
    for _ in range(max(0, round(scale * 1.5) - 1)):
        parts.append(rng.choice(_MIDDLES).format(**_filler(question="", words=words, rng=rng)))
    if mentions_code(question):
        parts.append(_code_block(words=words))
    closing = _filler(question="", words=words, rng=rng) | {"model": display_name(model)}
    parts.append(rng.choice(_CLOSINGS).format(**closing))
    return "\n\n".join(parts)


def _chairman(*, model: str, question: str, words: list[str], rng: random.Random) -> str:
    scale = verbosity(model)
    fill = _filler(question=question, words=words, rng=rng)
    opening = (
        f"## Council answer\n\nThe council considered the question *{fill['question']}* and "
        "the members largely agree, with a few useful differences in emphasis."
    )
    consensus = "**Where the council agrees:**\n" + _bullets(
        count=round(2.5 * scale), question=question, words=words, rng=rng
    )
    nuance = rng.choice(_MIDDLES).format(**fill) + (
        " The highest-ranked responses made this point most clearly, so it weighs most here."
    )
    closing = f"**Bottom line:** start with {fill['a']}, then adjust {fill['b']} to your situation."
    parts = [opening, consensus, nuance]
    if mentions_code(question):
        parts.append(_code_block(words=words))
    parts.append(closing)
    return "\n\n".join(parts)


REVISION_NOTE = "Revised after reading the other answers"


def _revised(*, prompt: str, words: list[str], rng: random.Random) -> str:
    """A member's revision: its answer with one added point, and unchanged from then on (so
    rounds converge and an early stop can be seen)."""
    own = own_answer(prompt).strip()
    if REVISION_NOTE in own:
        return own
    return f"{own}\n\n*{REVISION_NOTE}:* {rng.choice(words)} deserves a caveat the others raised."


def _structure(*, prompt: str, words: list[str], rng: random.Random) -> str:
    """The synthesis's structured part, as the council asks for it, over the prompt's labels."""
    labels = response_labels(prompt) or ["Response A", "Response B"]
    first, last = labels[0], labels[-1]
    body = {
        "consensus": [f"{w} matters" for w in words[:2]],
        "contradictions": [
            {
                "point": f"how much weight {rng.choice(words)} deserves",
                "positions": [
                    {"responses": [first], "says": "a great deal"},
                    {"responses": [last], "says": "only at the margin"},
                ],
            }
        ]
        if len(labels) > 1
        else [],
        "gaps": [f"the cost of {words[-1]}"],
        "confidence": {
            "level": rng.choice(["high", "medium"]),
            "justification": f"{len(labels)} answers agree on the core",
        },
    }
    return f"<council_structure>\n{json.dumps(body)}\n</council_structure>"


class _Scripted(NamedTuple):
    judging: JudgingConfig
    model: str


def _judged_answer(
    text: str, *, model: str, words: list[str], judging: JudgingConfig, rng: random.Random
) -> str:
    """An answer with its author's signature, and (seeded) extra paragraphs for length."""
    extra = rng.randint(0, 4) if judging.varied_lengths else 0
    middles = [rng.choice(_MIDDLES).format(**_filler(question="", words=words, rng=rng))]
    padding = [middles[0]] * extra
    return "\n\n".join([text, *padding, signature(model)])


def _ranking(
    *,
    model: str,
    prompt: str,
    words: list[str],
    rng: random.Random,
    json_mode: bool,
    scripted: _Scripted | None = None,
) -> str:
    labels = response_labels(prompt)
    ranking = _ranked_labels(prompt=prompt, rng=rng, scripted=scripted)
    verdicts = [
        f"{label} " + _verdict(ranking.index(label), len(ranking)).format(a=rng.choice(words))
        for label in labels
    ]
    if json_mode:
        return json.dumps({"reasoning": " ".join(verdicts), "ranking": ranking})
    intro = f"Evaluation by {display_name(model)}:"
    return "\n\n".join([intro, *verdicts, _numbered(ranking)])


def _ranked_labels(
    *, prompt: str, rng: random.Random, scripted: _Scripted | None = None
) -> list[str]:
    labels = response_labels(prompt)
    # The shared part of the score depends on the prompt only, so reviewers broadly agree.
    shared = random.Random(_seed("", "quality", prompt))
    noise = scripted.judging.noise if scripted is not None else 0.25
    scores = {label: shared.random() + rng.gauss(0.0, noise) for label in labels}
    if scripted is not None:
        extra = leanings(
            judging=scripted.judging, model=scripted.model, labels=labels, prompt=prompt
        )
        scores = {label: score + extra[label] for label, score in scores.items()}
    return sorted(labels, key=lambda label: scores[label], reverse=True)


def _numbered(ranking: list[str]) -> str:
    numbered = "\n".join(f"{place}. {label}" for place, label in enumerate(ranking, start=1))
    return f"FINAL RANKING:\n{numbered}"


def _title(*, words: list[str], rng: random.Random) -> str:
    # Titles carry no quotes or punctuation, even when the question's words do ("don't").
    cleaned = [w for w in (_TITLE_JUNK.sub("", word) for word in words) if w]
    if not cleaned:
        return _TITLE_FALLBACK
    picked = cleaned[: rng.randint(3, 5)]
    picked.extend(_TITLE_FILLERS[: max(0, 3 - len(picked))])
    return " ".join(w if any(c.isupper() for c in w[1:]) else w.capitalize() for w in picked)


def _verdict(place: int, count: int) -> str:
    if place == 0:
        return _VERDICT_BEST
    return _VERDICT_WORST if place == count - 1 else _VERDICT_MIDDLE


def _bullets(*, count: int, question: str, words: list[str], rng: random.Random) -> str:
    points = rng.sample(_POINTS, k=min(len(_POINTS), max(2, count)))
    return "\n".join(
        f"- {point.format(**_filler(question=question, words=words, rng=rng))}" for point in points
    )


def _filler(*, question: str, words: list[str], rng: random.Random) -> dict[str, str]:
    first = rng.choice(words)
    second = rng.choice([w for w in words if w != first] or words)
    return {
        "a": first,
        "A": first[:1].upper() + first[1:],
        "b": second,
        "question": _short(question),
    }


def _short(question: str) -> str:
    if len(question) <= _QUESTION_IN_TEXT_CHARS:
        return question
    return question[:_QUESTION_IN_TEXT_CHARS].rsplit(" ", 1)[0] + "…"


def _code_block(*, words: list[str]) -> str:
    name = "_".join(w.lower() for w in words[:2] if w.isidentifier()) or "solve"
    return (
        "```python\n"
        f"def {name}(data: list[int]) -> int:\n"
        "    # Keep it simple first; optimise once it is measured.\n"
        "    return sum(data)\n"
        "```"
    )


def _seed(model: str, kind: str, prompt: str) -> int:
    digest = hashlib.blake2b(f"{model}\0{kind}\0{prompt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
