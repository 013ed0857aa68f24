"""Rankings a reply states without a header: shapes that are a ranking wherever they stand.

A table with a rank column (or one score column), a list of bare labels from 1 that something
before it calls a ranking, a chain "C > A > B", runs of lines each placing one label ("Response A:
2nd"): each counts only when it names every label. Per-response scores count only when nothing
else in the reply does. The lines worth reading are found cheaply first
(``headerless_candidates``): every other line could only be stepped over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from llmcouncil.council.ranking_blocks import (
    Line,
    item_of,
    line_score,
    list_block,
    ordinal_link,
    places_reading,
    pure_item,
    read_list,
    scores_reading,
    strip_markdown,
)
from llmcouncil.council.ranking_reading import Reading, labels_in, sequence_tiers
from llmcouncil.council.ranking_tables import read_table
from llmcouncil.council.ranking_vocab import FORWARD, RANK_TALK, REVERSED

_LONGEST_SCORE_LINE = 1_000  # a longer line is prose, not one response's score
_LEAD = re.compile(r"^[^:]{0,40}:")


def direction(text: str) -> bool | None:
    upwards, downwards = bool(REVERSED.search(text)), bool(FORWARD.search(text))
    return None if upwards and downwards else upwards


def take(lines: list[Line], index: int, stop: int, keep: object) -> list[Line]:
    block = []
    while index < stop and callable(keep) and keep(lines[index][1]):
        block.append(lines[index])
        index += 1
    return block


def oriented(reading: Reading, upwards: bool) -> Reading:
    if upwards:
        reading.tiers.reverse()
        # Listed worst first, a short list is the bottom, not a top-k; a cut one is unreadable.
        reading.top_k = False
        if reading.cut:
            reading.tiers = []
    return reading


def headerless(
    lines: list[Line], *, claimed: set[int], labelled: set[int], known_count: int
) -> list[Reading]:
    """Shapes that are a ranking wherever they stand, when they name every label."""
    readings: list[Reading] = []
    index = 0
    for candidate in headerless_candidates(lines):
        if candidate < index:
            continue  # inside a table or list read already
        index = candidate
        offset, text = lines[index]
        if index in claimed or not text.strip():
            index += 1
            continue
        if text.lstrip().startswith("|"):
            block = take(lines, index, len(lines), lambda t: t.lstrip().startswith("|"))
            reading = read_table(block, ordered=False)
            if reading is not None and _names(reading) >= known_count:
                readings.append(reading)
            index += max(1, len(block))
            continue
        if (item := item_of(lines[index])) is not None and item.number == 1:
            items, after = list_block(lines, index)
            written = sum(1 for _, t in lines[index:after] if t.strip())
            # A list of bare labels with notes under each is how a review is laid out, not a
            # ranking; so is one in label order that nothing before it calls a ranking.
            if written == len(items) and all(pure_item(i.body) for i in items):
                reading = read_list(items, allow_bare=False)
                before = [t for _, t in lines[max(0, index - 2) : index] if t.strip()]
                if reading is not None and _in_label_order(reading):
                    if not before or not RANK_TALK.search(before[-1]):
                        reading = None
                if reading is not None and not reading.cut and _names(reading) >= known_count:
                    reading.notes.append("no ranking header; read a list of labels alone")
                    upwards = direction(before[-1]) if before else False
                    if upwards is None:
                        reading.tiers = []
                        reading.cut = "the list's direction is unclear"
                    readings.append(oriented(reading, bool(upwards)))
            index = max(after, index + 1)
            continue
        if ">" in text or "≻" in text:
            body = _LEAD.sub("", text) if ":" in text else text
            sequence = sequence_tiers(strip_markdown(body), allow_bare=True)
            if sequence is not None and not sequence[1]:
                reading = Reading(sequence[0], offset, offset + len(text), "sequence")
                if _names(reading) >= known_count and len(sequence[0]) > 1:
                    readings.append(reading)
        index += 1
    readings += _ordinal_blocks(lines, claimed=claimed, labelled=labelled, known_count=known_count)
    return readings


def headerless_candidates(lines: list[Line]) -> list[int]:
    """The lines ``headerless`` could read anything from: a table row, a list item (its number
    is checked later), a line with a ">". Every other line it would only step over."""
    found = []
    for index, (_, text) in enumerate(lines):
        head = text.lstrip()
        if head and (
            head[0] == "|"
            or ">" in text
            or "≻" in text
            or text.lstrip(" \t").lstrip("*_")[:1].isdigit()
        ):
            found.append(index)
    return found


def _in_label_order(reading: Reading) -> bool:
    flat = [label for tier in reading.tiers for label in tier]
    return all(len(tier) == 1 for tier in reading.tiers) and flat == sorted(flat)


def _names(reading: Reading) -> int:
    return len({label for tier in reading.tiers for label in tier})


def _ordinal_blocks(
    lines: list[Line], *, claimed: set[int], labelled: set[int], known_count: int
) -> list[Reading]:
    """Runs of lines each placing one label ("Response A: 2nd"), blank lines allowed between.
    Only lines naming a label can place one, so only they are read; and only where enough of
    them stand together (blank lines between) to place every label."""
    readings: list[Reading] = []
    need = max(2, known_count)
    for group in _adjacent_groups(sorted(labelled - claimed), lines):
        if len(group) < need:
            continue  # any run in it is too short to place every label
        run: list[tuple[Line, tuple[str, int]]] = []
        for index in group:
            line = lines[index]
            # Table rows are read as tables; a long line is prose.
            readable = len(line[1]) <= 200 and not line[1].lstrip().startswith("|")
            place = ordinal_link(line[1]) if readable else None
            if place is None:
                if run:
                    _close_run(run, readings, known_count=known_count)
                    run = []
                continue
            run.append((line, place))
        if run:
            _close_run(run, readings, known_count=known_count)
    return readings


def _adjacent_groups(indices: list[int], lines: list[Line]) -> list[list[int]]:
    """``indices`` (sorted) in groups with only blank lines between neighbours."""
    groups: list[list[int]] = []
    for index in indices:
        if groups and not any(lines[i][1].strip() for i in range(groups[-1][-1] + 1, index)):
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _close_run(
    run: list[tuple[Line, tuple[str, int]]], readings: list[Reading], *, known_count: int
) -> None:
    if len(run) < 2:
        return
    first, last = run[0][0], run[-1][0]
    reading = places_reading([p for _, p in run], start=first[0], end=last[0] + len(last[1]))
    if reading is not None and not reading.cut and _names(reading) >= known_count:
        readings.append(reading)


def scores(lines: Sequence[Line], *, labelled: set[int], digits: set[int]) -> list[Reading]:
    """Each label's one score, from lines naming a label and a score, or a "Score: 8" line under
    a heading that names one label. Any label scored twice (unless one is marked overall) or any
    line that is unclear makes the scores no reading."""
    scores: dict[str, list[tuple[float, bool]]] = {}
    current: str | None = None
    first = last = -1
    for index, (offset, text) in enumerate(lines):
        if (index not in labelled and index not in digits) or len(text) > _LONGEST_SCORE_LINE:
            continue
        found = list(dict.fromkeys(labels_in(text))) if index in labelled else []
        score = line_score(text) if index in digits else None
        plain = strip_markdown(text)
        if len(found) == 1 and (
            plain.startswith(("Response", "RESPONSE")) or text.lstrip().startswith(("#", "**"))
        ):
            current = found[0]
        elif len(found) > 1:
            current = None
        if score is None:
            continue
        owner = found[0] if len(found) == 1 else current if not found else None
        if owner is None:
            continue
        overall = bool(re.search(r"overall|total|final", text, re.IGNORECASE))
        scores.setdefault(owner, []).append((score, overall))
        first = offset if first < 0 else first
        last = offset + len(text)
    chosen: list[tuple[str, float]] = []
    for label, given in scores.items():
        values = {value for value, _ in given}
        marked = {value for value, overall in given if overall}
        if len(values) == 1:
            chosen.append((label, values.pop()))
        elif len(marked) == 1:
            chosen.append((label, marked.pop()))
        else:
            return []
    reading = scores_reading(chosen, start=first, end=last)
    return [reading] if reading is not None else []
