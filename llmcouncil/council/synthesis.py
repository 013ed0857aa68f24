"""The final answer of each mode, and the structured part read from a chairman's reply.

The chairman is asked (``prompts.STRUCTURE_REQUEST``) to follow its answer with one JSON object
between ``<council_structure>`` tags: consensus, contradictions (which responses said what),
gaps, and a confidence level with its justification. Models wrap it in code fences, drop the
closing tag, or write sections instead of JSON; ``read_structure`` accepts each of these and
otherwise leaves the reply whole, with a note saying no structure was found. What the user
reads as the answer is the reply without the block.

``final_synthesis`` is the chairman's ``FinalAnswer`` with that part read; ``review_summary``
says how the reviewers placed the answer ``select`` takes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmcouncil.council.final_answer import (
    Confidence,
    ConfidenceLevel,
    Contradiction,
    FinalAnswer,
    Position,
    SynthesisStructure,
)
from llmcouncil.council.prompts import STRUCTURE_TAG
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.records import CallRecord

_LEVELS: tuple[ConfidenceLevel, ...] = ("high", "medium", "low")
_MAX_ITEMS = 20
_FENCED_KEYS = frozenset({"consensus", "confidence"})
_MAX_ITEM_CHARS = 1000

_TAGGED = re.compile(
    rf"<\s*{STRUCTURE_TAG}\s*>(?P<body>.*?)(?:<\s*/\s*{STRUCTURE_TAG}\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_FENCE = re.compile(r"```(?:json)?\s*(?P<body>\{.*?\})\s*```", re.IGNORECASE | re.DOTALL)
_SECTION = re.compile(
    r"^[ \t#*_]*(?P<name>consensus|points of consensus|contradictions|disagreements|"
    r"gaps|not covered|what nobody covered|confidence)[ \t*_]*:?[ \t*_]*(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(?P<item>.+)$", re.MULTILINE)

NO_STRUCTURE_NOTE = (
    "The chairman gave no structured summary (consensus, contradictions, gaps, confidence); "
    "the answer is shown as written."
)


@dataclass(frozen=True, slots=True)
class ReadSynthesis:
    answer: str  # the reply without its structured block
    structured: SynthesisStructure | None
    note: str | None  # why there is no structure, when there is none


def read_structure(reply: str, *, label_to_model: Mapping[str, str]) -> ReadSynthesis:
    """The chairman's reply split into its answer and its structured part (or a note)."""
    for match in reversed(list(_TAGGED.finditer(reply))):
        found = _from_json(match.group("body"))
        if found is not None:
            answer = (reply[: match.start()] + reply[match.end() :]).strip()
            return ReadSynthesis(answer, found.with_models(label_to_model), None)
    for match in reversed(list(_FENCE.finditer(reply))):
        found = _from_json(match.group("body"), keys=_FENCED_KEYS)
        if found is not None:
            answer = (reply[: match.start()] + reply[match.end() :]).strip()
            return ReadSynthesis(answer, found.with_models(label_to_model), None)
    sections = _from_sections(reply)
    if sections is not None:
        return ReadSynthesis(reply.strip(), sections.with_models(label_to_model), None)
    return ReadSynthesis(reply.strip(), None, NO_STRUCTURE_NOTE)


def _from_json(body: str, *, keys: frozenset[str] | None = None) -> SynthesisStructure | None:
    """``keys``: the object must hold one of them (a bare code fence may be any JSON)."""
    text = body.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group("body")
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(data, dict) or (keys is not None and not keys & data.keys()):
        return None
    return _normalised(data)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    items = [str(v).strip()[:_MAX_ITEM_CHARS] for v in value if isinstance(v, str | int | float)]
    return tuple([i for i in items if i][:_MAX_ITEMS])


def _normalised(data: Mapping[str, Any]) -> SynthesisStructure | None:
    contradictions: list[Contradiction] = []
    raw = data.get("contradictions") or []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            contradictions.append(Contradiction(point=item[:_MAX_ITEM_CHARS]))
            continue
        if not isinstance(item, dict):
            continue
        positions = tuple(
            Position(
                responses=_strings(position.get("responses") or position.get("labels")),
                says=str(position.get("says") or position.get("position") or "")[:_MAX_ITEM_CHARS],
            )
            for position in item.get("positions") or []
            if isinstance(position, dict)
        )
        point = str(item.get("point") or item.get("topic") or "").strip()
        if point or positions:
            contradictions.append(Contradiction(point=point[:_MAX_ITEM_CHARS], positions=positions))
    confidence = data.get("confidence")
    level, justification = "", ""
    if isinstance(confidence, dict):
        level = str(confidence.get("level") or "").strip().lower()
        justification = str(confidence.get("justification") or confidence.get("why") or "")
    elif isinstance(confidence, str):
        level = confidence.strip().lower()
    structure = SynthesisStructure(
        consensus=_strings(data.get("consensus")),
        contradictions=tuple(contradictions[:_MAX_ITEMS]),
        gaps=_strings(data.get("gaps") or data.get("not_covered")),
        confidence=Confidence(
            level=_level(level), justification=justification.strip()[:_MAX_ITEM_CHARS]
        ),
    )
    if not (structure.consensus or contradictions or structure.gaps or level):
        return None
    return structure


def _level(text: str) -> ConfidenceLevel | None:
    for level in _LEVELS:
        if text == level:
            return level
    return None


def _from_sections(reply: str) -> SynthesisStructure | None:
    """A reply written with headed sections ("Consensus:", "Contradictions:", ...)."""
    heads = list(_SECTION.finditer(reply))
    if len(heads) < 2:
        return None
    parts: dict[str, str] = {}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(reply)
        name = head.group("name").lower()
        key = (
            "consensus"
            if "consensus" in name
            else "contradictions"
            if name in ("contradictions", "disagreements")
            else "confidence"
            if name == "confidence"
            else "gaps"
        )
        parts[key] = head.group("rest") + "\n" + reply[head.end() : end]
    if "confidence" not in parts or len(parts) < 2:
        return None
    confidence_text = parts.get("confidence", "").strip()
    level = next((lv for lv in _LEVELS if re.search(rf"\b{lv}\b", confidence_text, re.I)), None)
    data = {
        "consensus": _bullets(parts.get("consensus", "")),
        "contradictions": _bullets(parts.get("contradictions", "")),
        "gaps": _bullets(parts.get("gaps", "")),
        "confidence": {"level": level, "justification": confidence_text},
    }
    return _normalised(data)


def _bullets(text: str) -> list[str]:
    items = [m.group("item").strip() for m in _BULLET.finditer(text)]
    return items or [line.strip() for line in text.splitlines() if line.strip()][:1]


# --- the chairman's final answer ------------------------------------------------------------


def final_synthesis(chair: CallRecord, *, label_to_model: Mapping[str, str]) -> FinalAnswer:
    """The chairman's answer; its call's text becomes the answer without the structured block
    (kept in the call's details), so every reader of the call sees the answer the user sees."""
    read = read_structure(chair.text, label_to_model=label_to_model)
    if read.structured is not None and read.answer:
        chair.details["structured"] = read.structured.as_json()
        chair.text = read.answer
    return FinalAnswer.synthesis(
        chair,
        response=read.answer or chair.text,
        structured=read.structured,
        structured_note=read.note,
    )


def review_summary(summary: RankingSummary, *, model: str) -> str:
    """One paragraph on how the reviewers placed the selected answer."""
    row = summary.row_of(model=model)
    counted = summary.aggregation.counted_reviewers
    if row is None:
        reason = summary.ranking_skipped_reason or "no review could be counted"
        return f"Not ranked by peer review ({reason}); the first answer is shown."
    parts = [f"Ranked first of {len(summary.aggregate)} answers by {counted} counted reviewer(s)"]
    if row.first_place_votes:
        parts.append(f"{row.first_place_votes} first-place vote(s)")
    if row.average_rank is not None:
        parts.append(f"average rank {row.average_rank:.2f}")
    text = ", ".join(parts) + "."
    if summary.no_clear_winner:
        text += " No clear winner: the top answers' confidence intervals overlap."
    return text


class StructureFilter:
    """The chairman's streamed text without its structured block, so what a client sees as it
    arrives ends as the stored answer does (``read_structure(...).answer``): text stops at the
    block's opening tag, a chunk that may end in the tag's beginning is held back, and so is
    whitespace that may turn out to be the block's leading space (never the answer's)."""

    _OPEN = f"<{STRUCTURE_TAG}>"

    def __init__(self) -> None:
        self._held = ""
        self._started = False
        self._closed = False

    def reset(self) -> None:
        """The call restarted (a fallback): a new reply begins."""
        self._held, self._started, self._closed = "", False, False

    def feed(self, text: str) -> str:
        if self._closed:
            return ""
        held = self._held + text
        if "<" not in held:  # the usual delta: no tag can begin in it
            stripped = held.rstrip()
            self._held = held[len(stripped) :]
            return self._begin(stripped)
        found = held.lower().find(self._OPEN)
        if found >= 0:
            self._closed = True
            out = held[:found].rstrip()
            self._held = ""
            return self._begin(out)
        keep = _partial_suffix(held.lower(), self._OPEN)
        out, self._held = held[: len(held) - keep], held[len(held) - keep :]
        stripped = out.rstrip()
        self._held = out[len(stripped) :] + self._held
        return self._begin(stripped)

    def _begin(self, out: str) -> str:
        if not self._started:
            out = out.lstrip()
            self._started = bool(out)
        return out


def _partial_suffix(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could begin ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
