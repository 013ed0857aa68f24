"""Scripted reviewer behaviours: a council whose truth is known, for testing analytics.

``JudgingConfig`` (``SimConfig.judging``) makes one member's answers better (reviewers rank them
first more often) and gives chosen reviewers a leaning: towards the answer shown first, towards
long answers, towards their own answer. Each is a score added to the shared hidden quality
before a reviewer sorts the answers, so every effect is a tendency, not a rule, and the rest of
the council stays as the plain simulator makes it. With judging on, each answer carries a short
signature of the model that wrote it (``[sig:…]``, which self-identification masking leaves
alone), so a reviewer can recognise its own answer and the better member's; and every model
writes at one verbosity plus 0–4 extra paragraphs (seeded), so length says nothing about who
wrote an answer (a reviewer that favours long answers does not thereby favour itself).
Everything is seeded from the prompt and the model: the same council gives the same rankings.
"""

from __future__ import annotations

import re
import statistics
import zlib

from pydantic import BaseModel, ConfigDict, Field

_RESPONSE = re.compile(r"<response label=\"(Response [A-Z])\"[^>]*>\n?(.*?)</response", re.DOTALL)


class ReviewerLeaning(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_position: float = Field(
        default=0.0, description="Added to the answer shown first, falling to 0 for the last"
    )
    long_answers: float = Field(
        default=0.0, description="Added per standard deviation of length above the mean"
    )
    own_answer: float = Field(default=0.0, description="Added to its own answer")


class JudgingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_quality: dict[str, float] = Field(
        default_factory=dict, description="Answering model → added to its answers' quality"
    )
    reviewers: dict[str, ReviewerLeaning] = Field(default_factory=dict)
    noise: float = Field(default=0.25, ge=0, description="Each reviewer's own noise (sd)")
    varied_lengths: bool = True


def signature(model: str) -> str:
    return f"[sig:{zlib.crc32(model.encode()):08x}]"


def answers_in(prompt: str) -> dict[str, str]:
    """Label → answer text, in the order the reviewer was shown them."""
    return dict(_RESPONSE.findall(prompt))


def leanings(
    *, judging: JudgingConfig, model: str, labels: list[str], prompt: str
) -> dict[str, float]:
    """What to add to each label's score for ``model`` reviewing ``prompt``."""
    texts = answers_in(prompt)
    shown = [label for label in texts if label in labels] or labels
    extra = dict.fromkeys(labels, 0.0)
    for label in labels:
        text = texts.get(label, "")
        for author, bonus in judging.answer_quality.items():
            if signature(author) in text:
                extra[label] += bonus
    leaning = judging.reviewers.get(model)
    if leaning is None:
        return extra
    last = max(1, len(shown) - 1)
    for place, label in enumerate(shown):
        extra[label] += leaning.first_position * (1 - place / last)
    lengths = [len(texts.get(label, "")) for label in labels]
    spread = statistics.pstdev(lengths) if len(lengths) > 1 else 0.0
    if spread > 0:
        mean = statistics.fmean(lengths)
        for label, length in zip(labels, lengths, strict=True):
            extra[label] += leaning.long_answers * (length - mean) / spread
    own = signature(model)
    for label in labels:
        if own in texts.get(label, ""):
            extra[label] += leaning.own_answer
    return extra
