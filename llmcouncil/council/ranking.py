"""Read each reviewer's ranking out of its reply: right, or saying it is unsure.

Reviewers are language models, so replies drift from the requested format. ``parse_ranking``
never raises and never guesses: it returns tiers (best first; a tier of several labels is an
explicit tie) with a status, ``ok`` for a complete ranking we trust, ``partial`` for a trusted
top-k (the listed labels beat every unlisted one), ``failed`` with the reason otherwise.

How a reply is read:
1. Reasoning blocks (``<think>`` …) are split off first; a draft ranking there is never taken.
2. Every ranking the reply states is found, each with where it was stated: JSON objects
   (``ranking_json``), header sections, tables, chains, places and scores (``ranking_text``).
   Quoted material (code blocks, ``>`` quotes, a header in quote marks) is not the reviewer's.
3. The last stated ranking wins: a correction, an edited list or text after the JSON replaces
   what came before; a JSON ranking overruled by later text is recorded as ``conflict``. A
   correction after the last ranking that cannot be applied makes the reply ``failed``.
4. The winner is checked against the labels: an unknown or repeated label, a gap in the
   numbering or an unreadable item ends the trusted part; what is left is ``ok`` when it places
   every label, ``partial`` when it is a best-first top-k, ``failed`` otherwise.

A ranking that ties every response states no preference: it is ``failed`` with the reason
"no preference stated", never an order. There is no first-mention fallback.

Combining the parsed rankings into a leaderboard is ``aggregation``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from llmcouncil.council.ranking_json import scan_json
from llmcouncil.council.ranking_keywords import ALL_TIED_WORDS, REFUSAL_WORDS, search_lines
from llmcouncil.council.ranking_reading import Reading, labels_in
from llmcouncil.council.ranking_text import mask_quotes, scan_text
from llmcouncil.council.ranking_vocab import (
    ALL_TIED,
    CONFIRMED,
    HYPOTHETICAL,
    INJECTION_TALK,
    LABEL,
    POSTSCRIPT,
    RANK_TALK,
    REFUSAL,
    SWAP_TOP_TWO,
    SWAP_WORD,
)
from llmcouncil.providers.reasoning import split_reasoning

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALID_LABEL = re.compile(r"Response [A-Z]")

Tiers = tuple[tuple[str, ...], ...]


class ParseStatus(StrEnum):
    OK = "ok"  # a complete ranking we trust: every label placed (explicit ties allowed)
    PARTIAL = "partial"  # a trusted top-k: listed labels beat every unlisted label
    FAILED = "failed"  # nothing we can read with confidence (reason says why); never counted
    # Rows stored by older versions may hold "no_header"; readers treat it as not counted.


@dataclass(frozen=True)
class ParsedRanking:
    tiers: Tiers  # best first; a tier of several labels is an explicit tie
    status: ParseStatus
    issues: list[str]  # plain-language notes
    source: Literal["json", "text"]
    reason: str | None = None  # why FAILED / why only PARTIAL
    conflict: str | None = None  # JSON and a later text ranking disagreed (the last stated won)
    reasoning: str | None = field(default=None, compare=False)  # JSON "reasoning", display only

    @property
    def ranking(self) -> list[str]:
        """The tiers flattened, best first."""
        return [label for tier in self.tiers for label in tier]


def response_labels(n: int) -> list[str]:
    """``["Response A", ...]`` for ``n`` answers; one letter each, so at most 26."""
    if not 1 <= n <= len(_LETTERS):
        raise ValueError(f"a council labels between 1 and 26 answers, not {n}")
    return [f"Response {letter}" for letter in _LETTERS[:n]]


def parse_ranking(text: str, labels: Sequence[str]) -> ParsedRanking:
    """The ranking in a reviewer's reply. Raises only for malformed ``labels``, never for text."""
    known = list(dict.fromkeys(labels))
    bad = [label for label in known if not _VALID_LABEL.fullmatch(label)]
    if bad:
        raise ValueError(f"labels must look like 'Response A', got {bad}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return _failed("empty reply")
    visible, thought = split_reasoning(text)
    if not visible.strip():
        return _failed("the reply holds only reasoning, no ranking after it")
    issues = ["reasoning block set aside"] if thought else []
    found = scan_json(visible)
    blanked = _blank(visible, found.spans)
    readings = list(found.readings)
    unquoted = mask_quotes(blanked, keep_blocks=False)
    text_scan = scan_text(unquoted, known_count=len(known))
    readings += text_scan.readings
    with_blocks = mask_quotes(blanked, keep_blocks=True) if not readings else unquoted
    if not readings and with_blocks != unquoted:
        quoted = scan_text(with_blocks, known_count=len(known))
        if quoted.readings:
            if INJECTION_TALK.search(unquoted):
                return _failed("the only ranking is inside quoted material", issues)
            for reading in quoted.readings:
                reading.quoted = True
                reading.notes.append("ranking read from a code block or quote")
            readings = quoted.readings
            text_scan = quoted
    if not readings and found.unusable_reasoning:
        inner = parse_ranking(found.unusable_reasoning, known)
        note = "JSON ranking invalid; parsed its reasoning"
        return _with(inner, issues=[*issues, note, *inner.issues])
    if not readings:
        return _failed(_why_nothing(visible, found.attempted), issues)
    readings.sort(key=lambda reading: reading.start)
    # Scores are what a reviewer gave, not the order it stated: they count only when it stated
    # none (or gave them under its FINAL RANKING header).
    if any(r.kind != "scores" for r in readings):
        readings = [r for r in readings if r.kind != "scores" or r.hard]
    readings, set_aside = _without_alternatives(readings)
    if set_aside:
        issues = [*issues, set_aside]
    if not readings:
        return _failed("a later ranking is offered only as an alternative to the first", issues)
    winner = readings[-1]
    after = [line for line in text_scan.corrections if line[0] > winner.end]
    winner, correction_failure = _apply_corrections(winner, after)
    if correction_failure:
        return _failed(correction_failure, issues)
    result = _judge(winner, known, issues=issues)
    conflict = _conflict(readings, winner)
    earlier = [r for r in readings[:-1] if r.kind != "scores" and _key(r) != _key(winner)]
    notes = list(result.issues)
    if earlier and conflict is None:
        notes.append("an earlier ranking in the reply was replaced by a later one")
    reasoning = found.reasoning if winner.kind == "json" else None
    return ParsedRanking(
        result.tiers,
        result.status,
        list(dict.fromkeys(notes)),
        "json" if winner.kind == "json" else "text",
        reason=result.reason,
        conflict=conflict,
        reasoning=reasoning,
    )


def _without_alternatives(readings: list[Reading]) -> tuple[list[Reading], str | None]:
    """Readings without a last one that is only an alternative ("if brevity matters, the order
    would be …") to the reviewer's own, stated before it under a FINAL RANKING header. When the
    two disagree and the earlier one is not clearly the reviewer's own, nothing is trusted."""
    last = readings[-1]
    if len(readings) < 2 or not HYPOTHETICAL.search(last.lead):
        return readings, None
    own = [r for r in readings[:-1] if r.kind != "scores" and not HYPOTHETICAL.search(r.lead)]
    if not own or _key(own[-1]) == _key(last):
        return readings, None
    if own[-1].hard and not last.hard:
        return readings[:-1], "a later alternative ranking was set aside"
    return [], None


def _failed(reason: str, issues: list[str] | None = None) -> ParsedRanking:
    return ParsedRanking((), ParseStatus.FAILED, [*(issues or []), reason], "text", reason=reason)


def _with(parsed: ParsedRanking, *, issues: list[str]) -> ParsedRanking:
    return ParsedRanking(
        parsed.tiers,
        parsed.status,
        list(dict.fromkeys(issues)),
        parsed.source,
        reason=parsed.reason,
        conflict=parsed.conflict,
        reasoning=parsed.reasoning,
    )


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        parts += [text[position:start], re.sub(r"[^\n]", " ", text[start:end])]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _why_nothing(text: str, attempted_json: bool) -> str:
    if search_lines(REFUSAL, text, REFUSAL_WORDS):
        return "the reviewer declined to rank"
    if search_lines(ALL_TIED, text, ALL_TIED_WORDS):
        return "no preference stated: the reviewer called the responses equal"
    if attempted_json:
        return "the JSON ranking could not be read"
    if LABEL.search(text):
        return "no ranking found: responses are discussed but never ranked in a readable form"
    return "no ranking found"


def _apply_corrections(winner: Reading, lines: list[tuple[int, str]]) -> tuple[Reading, str | None]:
    for _, text in lines:
        if SWAP_TOP_TWO.search(text):
            if len(winner.tiers) < 2 or len(winner.tiers[0]) != 1 or len(winner.tiers[1]) != 1:
                return winner, "a correction swaps the top two, which are not two single places"
            winner.tiers[0], winner.tiers[1] = winner.tiers[1], winner.tiers[0]
            winner.notes.append("applied the correction swapping the top two")
            continue
        named = list(dict.fromkeys(labels_in(text)))
        if SWAP_WORD.search(text) and len(named) == 2:
            spots = [_spot(winner, label) for label in named]
            if None in spots:
                return winner, "a correction swaps responses that the ranking does not place"
            (i, j), (k, m) = spots  # type: ignore[misc]
            winner.tiers[i][j], winner.tiers[k][m] = winner.tiers[k][m], winner.tiers[i][j]
            winner.notes.append(f"applied the correction swapping {named[0]} and {named[1]}")
            continue
        if CONFIRMED.search(text) or (POSTSCRIPT.match(text) and not RANK_TALK.search(text)):
            continue
        if named or RANK_TALK.search(text):
            return winner, "a correction after the ranking could not be read"
    return winner, None


def _spot(reading: Reading, label: str) -> tuple[int, int] | None:
    for i, tier in enumerate(reading.tiers):
        if label in tier:
            return i, tier.index(label)
    return None


@dataclass
class _Judged:
    tiers: Tiers
    status: ParseStatus
    issues: list[str]
    reason: str | None


def _judge(reading: Reading, known: list[str], *, issues: list[str]) -> _Judged:
    notes = [*issues, *reading.notes]
    known_set = set(known)
    tiers: list[tuple[str, ...]] = []
    seen: set[str] = set()
    cut = reading.cut
    for tier in reading.tiers:
        unknown = [label for label in tier if label not in known_set]
        repeated = [label for label in tier if label in seen] or (
            [tier[0]] if len(set(tier)) != len(tier) else []
        )
        # A label that is not in the council, or one placed twice, shows the reviewer lost track
        # of the labels: which entry was meant is anyone's guess, so none of it is trusted.
        if unknown:
            reason = f"{unknown[0]} is not one of the responses"
            return _Judged((), ParseStatus.FAILED, [*notes, reason], reason)
        if repeated:
            reason = f"{repeated[0]} is ranked twice"
            return _Judged((), ParseStatus.FAILED, [*notes, reason], reason)
        tiers.append(tuple(tier))
        seen.update(tier)
    placed = len(seen)
    if cut:
        notes.append(cut)
    if not tiers:
        reason = cut or "no ranking found"
        return _Judged(
            (), ParseStatus.FAILED, [*notes, reason] if reason not in notes else notes, reason
        )
    if placed == len(known) and not (cut and reading.kind not in ("list", "json", "sequence")):
        if len(tiers) == 1 and len(known) > 1:
            reason = "no preference stated: every response is tied"
            return _Judged((), ParseStatus.FAILED, [*notes, reason], reason)
        return _Judged(tuple(tiers), ParseStatus.OK, notes, None)
    if reading.top_k and reading.kind in ("list", "json", "sequence", "ordinals", "table"):
        missing = [label for label in known if label not in seen]
        reason = cut or f"only the top {placed} of {len(known)} responses are ranked"
        notes += [f"missing {label}" for label in missing]
        return _Judged(tuple(tiers), ParseStatus.PARTIAL, notes, reason)
    reason = cut or f"only {placed} of {len(known)} responses are placed, and not as a top-{placed}"
    return _Judged((), ParseStatus.FAILED, [*notes, reason], reason)


def _key(reading: Reading) -> Tiers:
    return tuple(tuple(sorted(tier)) for tier in reading.tiers)


def _conflict(readings: list[Reading], winner: Reading) -> str | None:
    json_readings = [r for r in readings if r.kind == "json"]
    text_readings = [r for r in readings if r.kind not in ("json", "scores")]
    if not json_readings or not text_readings:
        return None
    last_json, last_text = json_readings[-1], text_readings[-1]
    if _key(last_json) == _key(last_text):
        return None
    used = "text" if winner is last_text else "JSON"
    return (
        f"the JSON ranking ({_show(last_json)}) and the text ranking ({_show(last_text)}) "
        f"disagree; used the {used} one, stated last"
    )


def _show(reading: Reading) -> str:
    return " > ".join(
        " = ".join(label.removeprefix("Response ") for label in tier) for tier in reading.tiers
    )
