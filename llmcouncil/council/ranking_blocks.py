"""The blocks a ranking is written as: a list, a table, lines naming a place or a score.

Each reader takes the lines of one block (offset, text) and returns a ``Reading`` or None. They
are strict on purpose: a block that could mean two things is no reading, or a reading cut short
with the reason, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from llmcouncil.council.ranking_reading import Reading, label_of, labels_in, sequence_tiers
from llmcouncil.council.ranking_vocab import (
    LABEL,
    ORDINAL,
    SCORE,
    SCORE_IS_OVERALL,
    TIE_WORDS,
    ordinal_value,
    score_value,
)

Line = tuple[int, str]  # offset in the reply, text without its line break

ITEM = re.compile(
    r"(?P<indent>[ \t]*)(?:[*_]{1,2})?(?:(?P<number>\d{1,3})[.):](?![\d])[*_]{0,2}"
    r"|(?P<bullet>[-*+•])(?=[ \t]))(?P<body>.*)"
)
_BARE_ITEM = re.compile(r"[ \t*_`(\[]*([A-Z])[*_`)\]]*[ \t]*(?:$|[-–—:.,;(>|])")
_PURE_ITEM = re.compile(r"[ \t*_`.)(:\[\]]*")
_TIE_JOIN = re.compile(
    r"[ \t*_`]*(?:,|&|and|=|≈|/|\+|\(?(?:is[ \t]+)?tied[ \t]+with|\(?ties[ \t]+with"
    r"|\(?(?:joint|equal)[ \t]+with|y|et|und|e|и|和)[ \t*_`]*"
    r"(?:(?:response|respuesta|r[ée]ponse|antwort)[ \t]+)?((?-i:[A-Z]))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# "1. Response C or Response A": the reviewer could not choose; not a place for either.
_OR_JOIN = re.compile(
    r"[ \t*_`)\]]*(?:or|oder|ou|o|vs\.?|versus)[ \t*_`(\[]+"
    r"(?:(?:response|respuesta|r[ée]ponse|antwort|resp\.?)[ \t]+)?(?-i:[A-Z])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"[\W_]{0,8}(?:(?:is|was|ranks?|ranked|comes|came|in|at|takes|gets|placed|the|place|a)"
    r"[\W_]{1,4}){0,4}"
)
# Every match of ORDINAL holds one of these (lowercased); a plain search with no look-behind
# rules most lines out far faster than ORDINAL itself can.
_MAYBE_ORDINAL = re.compile(
    r"[\d#]|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|prim|segund"
    r"|tercer|cuart|premi|deuxi|troisi|quatri|erst|zweit|dritt|viert"
)


def strip_markdown(text: str) -> str:
    # str.strip, not a pattern: "[ \t]*$" tried at each position of a long run of spaces is
    # quadratic.
    return text.lstrip(" \t>*_#`-").rstrip(" \t*_`")


@dataclass
class _Item:
    offset: int
    indent: int
    number: int | None
    body: str


def item_of(line: Line) -> _Item | None:
    match = ITEM.fullmatch(line[1])
    if match is None:
        return None
    number = match.group("number")
    indent = len(match.group("indent").expandtabs(4))
    return _Item(line[0], indent, int(number) if number else None, match.group("body"))


def leading_group(body: str, *, allow_bare: bool) -> tuple[list[str], bool, str] | None:
    """The label an item ranks, with any labels tied to it: (labels, explicitly tied, rest)."""
    bare = _BARE_ITEM.match(body) if allow_bare else None
    if bare:
        labels, end = [f"Response {bare.group(1)}"], bare.end(1)
    else:
        first = LABEL.search(body)
        if first is None:
            return None
        labels, end = [label_of(first)], first.end()
    joined = False
    while (more := _TIE_JOIN.match(body, end)) is not None:
        labels.append(f"Response {more.group(1).upper()}")
        joined = True
        end = more.end()
    rest = body[end:]
    undecided = _OR_JOIN.match(body, end)
    if undecided is not None:
        return [*labels, label_of_token(undecided.group())], False, body[undecided.end() :]
    if joined and not TIE_WORDS.search(body):
        return labels, False, rest
    return labels, joined, rest


def label_of_token(text: str) -> str:
    """The label a short token names: "Response C", "or C"."""
    return f"Response {text.rstrip()[-1].upper()}"


def list_block(lines: list[Line], start: int) -> tuple[list[_Item], int]:
    """The list that opens at ``lines[start]``: its items (details under an item dropped) and
    the index after it."""
    first = item_of(lines[start])
    assert first is not None
    items = [first]
    index = start + 1
    while index < len(lines):
        text = lines[index][1]
        if not text.strip():
            index += 1
            continue
        item = item_of(lines[index])
        if item is None:
            if len(text) - len(text.lstrip()) > first.indent:  # a continuation line
                index += 1
                continue
            break
        if item.indent >= first.indent + 2:  # a detail under the item above
            index += 1
            continue
        same_kind = (item.number is None) == (first.number is None)
        last = items[-1].number
        if not same_kind or (item.number is not None and last is not None and item.number < last):
            break
        items.append(item)
        index += 1
    while index > start + 1 and not lines[index - 1][1].strip():
        index -= 1
    return items, index


def read_list(items: list[_Item], *, allow_bare: bool) -> Reading | None:
    start, end = items[0].offset, items[-1].offset + len(items[-1].body)
    groups = [leading_group(item.body, allow_bare=allow_bare) for item in items]
    labelled = [g for g in groups if g is not None]
    if not labelled:
        return None
    if len(items) == 1 and groups[0] is not None:
        sequence = sequence_tiers(items[0].body, allow_bare=allow_bare)
        if sequence is not None:
            tiers, upwards = sequence
            return Reading(tiers[::-1] if upwards else tiers, start, end, "sequence", not upwards)
    if all(item.number is None for item in items):
        by_place = _ordinal_reading(items, groups, start=start, end=end)
        if by_place is not None:
            return by_place
    by_score = _score_list_reading(items, groups, start=start, end=end)
    if by_score is not None:
        return by_score
    return _ordered_reading(items, groups, start=start, end=end)


def _ordered_reading(
    items: list[_Item],
    groups: list[tuple[list[str], bool, str] | None],
    *,
    start: int,
    end: int,
) -> Reading:
    tiers: list[list[str]] = []
    cut: str | None = None
    previous: int | None = None
    previous_rest: str | None = None
    numbered = items[0].number is not None
    if numbered and items[0].number != 1:
        return Reading([], start, end, "list", cut="the list does not start at 1")
    for item, group in zip(items, groups, strict=True):
        if group is None:
            cut = "an item of the list names no response"
            break
        labels, tied, _ = group
        if len(labels) > 1 and not tied:
            cut = f"an item names {' and '.join(labels)} without saying they are tied"
            break
        if numbered and previous is not None and item.number is not None:
            if item.number == previous:  # "1. A" "1. C": both first
                tiers[-1].extend(label for label in labels if label not in tiers[-1])
                continue
            if item.number != len([label for tier in tiers for label in tier]) + 1 and (
                item.number != previous + 1
            ):
                # An item before a skipped number that names another label may have held more
                # than one place ("2. A (tied with D)", "1. C or A"): it is not trusted either.
                cut = f"the list skips from {previous} to {item.number}"
                if previous_rest is not None and (
                    labels_in(previous_rest) or TIE_WORDS.search(previous_rest)
                ):
                    tiers.pop()
                break
        tiers.append(list(labels))
        previous, previous_rest = item.number, group[2]
    return Reading(tiers, start, end, "list", cut=cut)


def _ordinal_reading(
    items: list[_Item],
    groups: list[tuple[list[str], bool, str] | None],
    *,
    start: int,
    end: int,
) -> Reading | None:
    places: list[tuple[str, int]] = []
    for item, group in zip(items, groups, strict=True):
        if group is None:
            continue
        place = ordinal_link(item.body)
        if place is None:
            return None
        places.append(place)
    return places_reading(places, start=start, end=end)


def ordinal_link(text: str) -> tuple[str, int] | None:
    """("Response A", 2) for "Response A: 2nd" or "2nd place: Response A"; None otherwise."""
    # The cheap test first: most lines that name a label place nothing.
    if _MAYBE_ORDINAL.search(text.lower()) is None:
        return None
    labels = list(islice(LABEL.finditer(text), 2))
    if len(labels) != 1:
        return None
    places = list(islice(ORDINAL.finditer(text), 2))
    if len(places) != 1:
        return None
    label, place = labels[0], places[0]
    if place.start() >= label.end():
        between = text[label.end() : place.start()]
    elif label.start() >= place.end():
        between = text[place.end() : label.start()]
    else:
        return None
    if len(between) > 30 or _LINK.fullmatch(between) is None:
        return None
    return label_of(label), ordinal_value(place)


def places_reading(places: list[tuple[str, int]], *, start: int, end: int) -> Reading | None:
    if len(places) < 2:
        return None
    by_place: dict[int, list[str]] = {}
    for label, place in places:
        by_place.setdefault(place, []).append(label)
    tiers: list[list[str]] = []
    cut = None
    expected = 1
    for place in sorted(by_place):
        if place != expected:
            cut = f"no response is placed {expected}"
            break
        tiers.append(by_place[place])
        expected += len(by_place[place])
    return Reading(tiers, start, end, "ordinals", cut=cut)


def scores_reading(scores: list[tuple[str, float]], *, start: int, end: int) -> Reading | None:
    if len(scores) < 2:
        return None
    by_score: dict[float, list[str]] = {}
    for label, score in scores:
        by_score.setdefault(score, []).append(label)
    tiers = [by_score[score] for score in sorted(by_score, reverse=True)]
    return Reading(tiers, start, end, "scores", top_k=False)


def line_score(text: str) -> float | None:
    """The one score a line gives, preferring one marked overall; None if none or unclear."""
    if not _may_score(text):
        return None
    found = [(m, score_value(m)) for m in SCORE.finditer(text)]
    values = [(m, v) for m, v in found if v is not None]
    if len(values) != len(found) or not values:
        return None
    if len(values) == 1:
        return values[0][1]
    overall = [
        v for m, v in values if SCORE_IS_OVERALL.search(text[max(0, m.start() - 20) : m.end()])
    ]
    return overall[0] if len(overall) == 1 else None


# Every match of SCORE holds one of these (lowercased). Only for ASCII text: ignoring case, a
# pattern also matches a few non-ASCII letters ("ſ" for "s") that lowercasing does not turn into
# their ASCII twin, so a line with any non-ASCII character is always tried.
_SCORE_WORDS = (
    "/", "out", "sur", "von", "score", "rating", "grade", "punkte", "puntuaci", "puntaje", "note",
    "bewertung", "overall", "total", "point", "pts", "puntos",
)  # fmt: skip


def _may_score(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in _SCORE_WORDS)


def _score_list_reading(
    items: list[_Item],
    groups: list[tuple[list[str], bool, str] | None],
    *,
    start: int,
    end: int,
) -> Reading | None:
    scored: list[tuple[str, float]] = []
    for group in groups:
        if group is None:
            continue
        labels, _, rest = group
        score = line_score(rest)
        if score is None or len(labels) != 1:
            return None
        scored.append((labels[0], score))
    values = [score for _, score in scored]
    if items[0].number is not None and all(
        a >= b for a, b in zip(values, values[1:], strict=False)
    ):
        return None  # numbered best first and the scores agree: the numbers say it
    if items[0].number is not None and [label for label, _ in scored] != sorted(
        label for label, _ in scored
    ):
        return Reading([], start, end, "scores", cut="the list's numbers and scores disagree")
    return scores_reading(scored, start=start, end=end)


def pure_item(body: str) -> bool:
    """An item that is a label and nothing else ("**Response C**", "C.")."""
    rest = LABEL.sub("", body, count=1)
    return rest != body and _PURE_ITEM.fullmatch(rest) is not None
