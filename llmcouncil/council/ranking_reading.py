"""One ranking read from a reply, before it is checked against the council's labels.

A reply can state a ranking several times (a draft, a JSON object, a correction); each statement
is a ``Reading`` with where it was stated, so the last one can win. The helpers here turn the
small shapes a ranking is written in (a label, a run of tied labels, "C > A = B") into tiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from llmcouncil.council.ranking_vocab import BARE, LABEL, TIE_WORDS

Kind = Literal["list", "sequence", "table", "ordinals", "scores", "json"]


@dataclass
class Reading:
    tiers: list[list[str]]  # labels as written (unknown ones too), best first
    start: int  # offset in the visible reply where it was stated
    end: int
    kind: Kind
    top_k: bool = True  # whether a reading that names only some labels is a trusted top-k
    cut: str | None = None  # why the reading stops early: its tiers are only what came before
    notes: list[str] = field(default_factory=list)
    quoted: bool = False  # read from a code block or block quote
    hard: bool = False  # stated under a FINAL RANKING header (or a translation of it)
    lead: str = ""  # the line that introduces it: its header line, else the line before it


def label_of(match: re.Match[str]) -> str:
    letter = match.group(1) or match.group(2) or match.group(3)
    return f"Response {letter.upper()}"


def labels_in(text: str) -> list[str]:
    return [label_of(m) for m in LABEL.finditer(text)]


# Between two labels of a sequence: separators only. ">" and "," part tiers, "=" joins them.
_GAP = re.compile(
    r"[ \t*_`\"'()\[\].]*(?:(?P<tie>=|≈|~|(?:is[ \t]+)?tied[ \t]+with|ties[ \t]+with|same[ \t]+as)"
    r"|(?P<down>>|≻|→|->|=>|»|,|;|/|\bthen\b|\bfollowed[ \t]+by\b|\band(?:[ \t]+then)?\b"
    r"|\bnext\b|\bfinally\b|&|\by\b|\bet\b|\bund\b)"
    r"|(?P<up><|≺|←|<-))?[ \t*_`\"'()\[\].,]*(?:(?:and|then|finally)[ \t]+)?[ \t*_`\"'()\[\]]*",
    re.IGNORECASE,
)
_SEQ_TOKEN = re.compile(rf"{LABEL.pattern}|{BARE.pattern}")
_PAIR = r"((?i:response|respuesta|r[ée]ponse)[ \t]+[A-Z]|(?<![\w'])[A-Z])(?![\w'])"
_PAIR_TIED = re.compile(
    rf"{_PAIR}[ \t]+(?:and|&)[ \t]+{_PAIR}[ \t*_]*\(?(?:are[ \t]+)?(?:tied|a[ \t]+tie)\)?",
    re.IGNORECASE,
)
_MAX_GAP = 40  # separators are short; a long gap is prose, and bounds the gap pattern's work
_TRAILER = re.compile(r"[ \t*_`\"'()\[\].,;:!]*")


def sequence_tiers(text: str, *, allow_bare: bool) -> tuple[list[list[str]], bool] | None:
    """Tiers of a line that is only labels and separators ("C > A = B", "Response C, Response A"),
    and whether it runs upwards ("B < A < C"); None when anything else sits between them."""
    if "tie" in text.lower():
        text = _PAIR_TIED.sub(r"\1 = \2", text)
    tokens = [m for m in _SEQ_TOKEN.finditer(text) if allow_bare or m.lastindex != 4]
    if len(tokens) < 2:
        return None
    if _TRAILER.fullmatch(text[: tokens[0].start()]) is None:
        return None
    tail = text[tokens[-1].end() :]
    tied_tail = bool(TIE_WORDS.search(tail))
    if _TRAILER.fullmatch(tail) is None and not _only_tie_words(tail):
        return None
    tiers: list[list[str]] = [[_token_label(tokens[0])]]
    joiners: list[str] = []
    for before, after in zip(tokens, tokens[1:], strict=False):
        between = text[before.end() : after.start()]
        gap = _GAP.fullmatch(between) if len(between) <= _MAX_GAP else None
        if gap is None:
            return None
        kind = "tie" if gap.group("tie") else "up" if gap.group("up") else "down"
        joiners.append(kind)
        if kind == "tie":
            tiers[-1].append(_token_label(after))
        else:
            tiers.append([_token_label(after)])
    directions = {j for j in joiners if j != "tie"}
    if len(directions) > 1:
        return None
    if tied_tail:
        # "Response A and Response C (tied)": the labels named together are one tier; a longer
        # run with a tie word after it does not say which of its labels are tied.
        if len(tokens) != 2 and directions:
            return None
        tiers = [[label for tier in tiers for label in tier]]
    return tiers, directions == {"up"}


_TIE_TAIL = re.compile(
    r"[ \t*_`\"'()\[\].,;:!]*(?:are[ \t]+)?(?:tied|a[ \t]+tie|equal)[ \t*_`\"'()\[\].,;:!]*",
    re.IGNORECASE,
)


def _only_tie_words(tail: str) -> bool:
    return len(tail) <= _MAX_GAP and _TIE_TAIL.fullmatch(tail) is not None


def _token_label(match: re.Match[str]) -> str:
    letter = match.group(1) or match.group(2) or match.group(3) or match.group(4)
    return f"Response {letter.upper()}"
