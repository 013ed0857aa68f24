"""Rankings stated as markdown tables: by a rank column, else by the one score column, else
(under a ranking header) by the order of the rows.

A table in label order with no rank column is a summary, not a ranking; a table whose header has
no rank and no single score column is ruled out before any row is read.
"""

from __future__ import annotations

import re

from llmcouncil.council.ranking_blocks import (
    Line,
    line_score,
    places_reading,
    scores_reading,
    strip_markdown,
)
from llmcouncil.council.ranking_reading import Reading, labels_in
from llmcouncil.council.ranking_vocab import BARE, ORDINAL, SCORE_IS_OVERALL, ordinal_value

_SEPARATOR_ROW = re.compile(r"[ \t|:-]*-[ \t|:-]*")
_SCORE_COLUMN = re.compile(
    r"score|rating|points|total|overall|grade|note|punkte|puntuaci|puntaje|/[ \t]*10",
    re.IGNORECASE,
)
_RANK_COLUMN = re.compile(
    r"^(?:final[ \t]+)?(?:rank|ranking|position|place|pos\.?|#|no\.?|standing|rang|platz|puesto"
    r"|posici[oó]n|posizione|classement|順位|排名)$",
    re.IGNORECASE,
)


def read_table(lines: list[Line], *, ordered: bool) -> Reading | None:
    """A markdown table: by its rank column, else its one score column, else (``ordered``, under
    a ranking header) by row order."""
    rows = [[cell.strip() for cell in text.strip().strip("|").split("|")] for _, text in lines]
    if len(rows) < 2 or not _SEPARATOR_ROW.fullmatch(lines[1][1]):
        return None
    header, body = rows[0], rows[2:]
    start, end = lines[0][0], lines[-1][0] + len(lines[-1][1])
    names = [cell.strip(" \t*_`") for cell in header]
    rank_columns = [i for i, name in enumerate(names) if _RANK_COLUMN.match(name)]
    score_columns = [i for i, name in enumerate(names) if _SCORE_COLUMN.search(name)]
    if len(score_columns) > 1:
        score_columns = [i for i in score_columns if SCORE_IS_OVERALL.search(names[i])]
    if not rank_columns and len(score_columns) != 1 and (score_columns or not ordered):
        return None  # neither a rank, nor one score, nor (under a header) the row order
    labelled: list[tuple[str, list[str]]] = []
    for row in body:
        label = _row_label(row, skip=set(rank_columns))
        if label is None:
            continue
        labelled.append((label, row))
    if len(labelled) < 2:
        return None
    if rank_columns:
        places = []
        for label, row in labelled:
            place = _cell_place(row, rank_columns[0])
            if place is None:
                return Reading([], start, end, "table", cut="a rank in the table is unreadable")
            places.append((label, place))
        return places_reading(places, start=start, end=end)
    if len(score_columns) == 1:
        scores = []
        for label, row in labelled:
            cell = row[score_columns[0]] if score_columns[0] < len(row) else ""
            value = _cell_number(cell)
            if value is None:
                return Reading([], start, end, "table", cut="a score in the table is unreadable")
            scores.append((label, value))
        return scores_reading(scores, start=start, end=end)
    if ordered and not score_columns:
        order = [label for label, _ in labelled]
        if order == sorted(order):  # a summary table in label order says nothing of rank
            cut = "the table lists the responses in label order, with no rank column"
            return Reading([], start, end, "table", cut=cut)
        return Reading([[label] for label in order], start, end, "table")
    return None


def _row_label(row: list[str], *, skip: set[int]) -> str | None:
    for index, cell in enumerate(row):
        if index in skip:
            continue
        found = labels_in(cell)
        if found:
            return found[0]
        bare = BARE.fullmatch(strip_markdown(cell))
        if bare:
            return f"Response {bare.group(1)}"
    return None


def _cell_place(row: list[str], column: int) -> int | None:
    cell = strip_markdown(row[column]) if column < len(row) else ""
    if re.fullmatch(r"\d{1,2}", cell):
        return int(cell)
    place = ORDINAL.search(cell)
    return ordinal_value(place) if place else None


def _cell_number(cell: str) -> float | None:
    score = line_score(cell)
    if score is not None:
        return score
    number = re.fullmatch(r"[ \t*_]*(\d{1,3}(?:[.,]\d{1,2})?)[ \t*_]*", cell)
    return float(number.group(1).replace(",", ".")) if number else None
