"""An evaluation dataset: questions, optional reference answers, categories and match types.

JSONL (one object a line) or CSV (a header row). Fields: ``question`` (required), ``reference``
(or ``answer``), ``category``, ``match`` (``judge`` — the default —, ``exact`` or ``numeric``).
Every problem is collected with its line number and reported at once, as a
``DatasetError`` (a ``ValidationFailedError``: exit code 2 on the command line, 422 over HTTP),
before anything is run or stored.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from llmcouncil.errors import ValidationFailedError
from llmcouncil.storable import text_problem

MatchType = Literal["judge", "exact", "numeric"]
MATCH_TYPES: tuple[MatchType, ...] = ("judge", "exact", "numeric")
MAX_QUESTIONS = 5000
MAX_QUESTION_CHARS = 20_000
MAX_BYTES = 10_000_000
_FIELDS = {"question", "reference", "answer", "category", "match", "id"}
_MAX_SHOWN_PROBLEMS = 20
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


class DatasetError(ValidationFailedError):
    """A dataset that cannot be used; ``problems`` lists each with its line."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:_MAX_SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        super().__init__(f"the dataset cannot be used: {text}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class EvalItem:
    question: str
    reference: str | None = None
    category: str = "general"
    match: MatchType = "judge"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalItem:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def starter_dataset() -> list[EvalItem]:
    """The dataset shipped with the package: about 40 questions with reference answers."""
    text = resources.files("llmcouncil.evaluation").joinpath("starter.jsonl").read_text("utf-8")
    return parse_dataset(text, fmt="jsonl")


def load_dataset(path: Path) -> list[EvalItem]:
    """``path`` read as JSONL (``.jsonl``/``.json``/``.ndjson``) or CSV (``.csv``)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetError([f"{path}: no such file"]) from exc
    except OSError as exc:
        raise DatasetError([f"{path} cannot be read: {exc.strerror}"]) from exc
    return parse_bytes(data, filename=path.name)


def parse_bytes(data: bytes, *, filename: str) -> list[EvalItem]:
    if len(data) > MAX_BYTES:
        raise DatasetError([f"the file has {len(data)} bytes; the limit is {MAX_BYTES}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError([f"the file is not UTF-8 text (byte {exc.start})"]) from exc
    return parse_dataset(text, fmt=format_of(filename))


def format_of(filename: str) -> Literal["jsonl", "csv"]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    raise DatasetError([f"{filename!r}: give a .jsonl or .csv file"])


def parse_dataset(text: str, *, fmt: Literal["jsonl", "csv"]) -> list[EvalItem]:
    rows = _jsonl_rows(text) if fmt == "jsonl" else _csv_rows(text)
    problems: list[str] = []
    items: list[EvalItem] = []
    for line, row in rows:
        if isinstance(row, str):
            problems.append(f"line {line}: {row}")
            continue
        item = _item(row, line=line, problems=problems)
        if item is not None:
            items.append(item)
    if not rows:
        problems.append("the dataset holds no questions")
    if len(rows) > MAX_QUESTIONS:
        problems.append(f"{len(rows)} questions; at most {MAX_QUESTIONS}")
    if problems:
        raise DatasetError(problems)
    return items


def _jsonl_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    rows: list[tuple[int, dict[str, Any] | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, f"not valid JSON ({exc.msg})"))
            continue
        rows.append((number, value if isinstance(value, dict) else "not a JSON object"))
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return []
    if "question" not in [name.strip().lower() for name in reader.fieldnames]:
        raise DatasetError(["line 1: the header has no 'question' column"])
    rows: list[tuple[int, dict[str, Any] | str]] = []
    try:
        for row in reader:
            if None in row:
                rows.append((reader.line_num, "more values than the header has columns"))
                continue
            cleaned = {k.strip().lower(): v for k, v in row.items() if k is not None}
            if any((v or "").strip() for v in cleaned.values()):
                rows.append((reader.line_num, cleaned))
    except csv.Error as exc:
        raise DatasetError([f"line {reader.line_num}: {exc}"]) from exc
    return rows


def _text(row: dict[str, Any], name: str, *, line: int, problems: list[str]) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        problems.append(f"line {line}: '{name}' must be text")
        return None
    problem = text_problem(value)
    if problem:
        problems.append(f"line {line}: '{name}' {problem}")
        return None
    return value.strip() or None


def _item(row: dict[str, Any], *, line: int, problems: list[str]) -> EvalItem | None:
    before = len(problems)
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        problems.append(f"line {line}: unknown field(s) {', '.join(unknown)}")
    told = len(problems)
    question = _text(row, "question", line=line, problems=problems)
    if question is None and len(problems) == told:
        problems.append(f"line {line}: 'question' is missing or empty")
    elif question is not None and len(question) > MAX_QUESTION_CHARS:
        problems.append(f"line {line}: the question has more than {MAX_QUESTION_CHARS} characters")
    reference = _text(row, "reference", line=line, problems=problems) or _text(
        row, "answer", line=line, problems=problems
    )
    category = _text(row, "category", line=line, problems=problems) or "general"
    match = (_text(row, "match", line=line, problems=problems) or "judge").lower()
    if match not in MATCH_TYPES:
        problems.append(f"line {line}: match {match!r} is not one of {', '.join(MATCH_TYPES)}")
    elif match != "judge" and reference is None:
        problems.append(f"line {line}: match {match!r} needs a reference answer")
    elif match == "numeric" and reference is not None and parse_number(reference) is None:
        problems.append(f"line {line}: match 'numeric' needs a number as reference")
    if len(problems) > before or question is None:
        return None
    return EvalItem(
        question=question,
        reference=reference,
        category=category[:100],
        match=match,  # type: ignore[arg-type]  # checked against MATCH_TYPES above
    )


def parse_number(text: str) -> float | None:
    """The last number ``text`` states ("…so the answer is 1,024." → 1024.0)."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        value = float(found[-1].replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
