"""Precision and recall of the detector on a marked corpus (``tests/privacy/corpus``).

A corpus document marks what must be found inline: ``⟦EMAIL_ADDRESS|a@b.com⟧``; ``⟦TYPE~|…⟧``
marks a known gap and ``⟦TYPE@ner|…⟧`` something only a named-entity model finds. Everything else
in the document must not be flagged.

A marked value counts as *found* when findings cover every one of its non-space characters:
what matters for redaction is that nothing of it leaves, whatever type it was given (a value
covered under another type is counted as *retyped*). A finding is a *false positive* when it
touches no marked value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from llmcouncil.privacy.detector import Finding

MARK = re.compile(r"⟦([A-Z_]+)(~|@ner)?\|(.*?)⟧", re.DOTALL)
TURN_SEPARATOR = "\n=== turn ===\n"


@dataclass(frozen=True, slots=True)
class MarkedValue:
    entity: str
    start: int
    end: int
    kind: str  # "must", "gap" (known miss) or "ner" (needs a named-entity model)


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    text: str
    marked: tuple[MarkedValue, ...]

    def values(self, *kinds: str) -> list[str]:
        return [self.text[m.start : m.end] for m in self.marked if not kinds or m.kind in kinds]


def parse_marked(name: str, source: str) -> Document:
    """The plain text of a marked document and where its marked values are."""
    plain: list[str] = []
    marked: list[MarkedValue] = []
    length = position = 0
    for match in MARK.finditer(source):
        before = source[position : match.start()]
        plain.append(before)
        length += len(before)
        value = match.group(3)
        kind = {"~": "gap", "@ner": "ner"}.get(match.group(2) or "", "must")
        marked.append(MarkedValue(match.group(1), length, length + len(value), kind))
        plain.append(value)
        length += len(value)
        position = match.end()
    plain.append(source[position:])
    return Document(name=name, text="".join(plain), marked=tuple(marked))


def load_corpus(folder: Path) -> list[Document]:
    """Every ``*.txt`` in ``folder``; a file of several turns gives one document per turn."""
    documents: list[Document] = []
    for path in sorted(folder.glob("*.txt")):
        turns = path.read_text(encoding="utf-8").split(TURN_SEPARATOR)
        for i, turn in enumerate(turns, start=1):
            name = path.stem if len(turns) == 1 else f"{path.stem}#{i}"
            documents.append(parse_marked(name, turn))
    return documents


@dataclass(slots=True)
class TypeScore:
    marked: int = 0
    found: int = 0
    retyped: int = 0
    detected: int = 0
    false_positives: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.marked if self.marked else None

    @property
    def precision(self) -> float | None:
        return 1 - self.false_positives / self.detected if self.detected else None


@dataclass(slots=True)
class Report:
    by_type: dict[str, TypeScore] = field(default_factory=dict)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (document, type, value)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)

    def total(self) -> TypeScore:
        total = TypeScore()
        for score in self.by_type.values():
            total.marked += score.marked
            total.found += score.found
            total.retyped += score.retyped
            total.detected += score.detected
            total.false_positives += score.false_positives
        return total


def _covered(value: MarkedValue, findings: list[Finding], text: str) -> bool:
    return all(
        text[i].isspace() or any(f.start <= i < f.end for f in findings)
        for i in range(value.start, value.end)
    )


def evaluate(documents: Iterable[Document], find: Callable[[str], list[Finding]]) -> Report:
    report = Report()
    for document in documents:
        findings = find(document.text)
        for value in document.marked:
            score = report.by_type.setdefault(value.entity, TypeScore())
            score.marked += 1
            touching = [f for f in findings if f.start < value.end and value.start < f.end]
            if _covered(value, touching, document.text):
                score.found += 1
                score.retyped += all(f.entity != value.entity for f in touching)
            else:
                text = document.text[value.start : value.end]
                report.missed.append((document.name, value.entity, text))
        for finding in findings:
            score = report.by_type.setdefault(finding.entity, TypeScore())
            score.detected += 1
            if not any(_overlaps(finding, v) for v in document.marked):
                score.false_positives += 1
                text = document.text[finding.start : finding.end]
                report.false_positives.append((document.name, finding.entity, text))
    return report


def _overlaps(finding: Finding, value: MarkedValue) -> bool:
    return finding.start < value.end and value.start < finding.end


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def markdown_table(report: Report) -> str:
    """The table docs/PRIVACY.md shows, one row per entity type and a total."""
    lines = [
        "| entity type | marked | found | recall | retyped | detections | false positives "
        "| precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = sorted(report.by_type.items())
    rows.append(("**all**", report.total()))
    for name, s in rows:
        lines.append(
            f"| {name} | {s.marked} | {s.found} | {_pct(s.recall)} | {s.retyped} | {s.detected} "
            f"| {s.false_positives} | {_pct(s.precision)} |"
        )
    return "\n".join(lines)
