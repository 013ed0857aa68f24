"""The detector on the whole corpus, and the numbers docs/PRIVACY.md shows."""

from __future__ import annotations

from pathlib import Path

from pii_support import corpus

from llmcouncil.privacy.detector import shared_detector
from llmcouncil.privacy.evaluation import evaluate, markdown_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "PRIVACY.md"


def test_every_supported_shape_is_found_and_nothing_else_is_flagged() -> None:
    documents = corpus()
    report = evaluate(documents, shared_detector().find)
    must = {(d.name, v) for d in documents for v in d.values("must")}
    assert [m for m in report.missed if (m[0], m[2]) in must] == []
    assert report.false_positives == []
    assert len(must) >= 100


def test_docs_show_the_current_numbers() -> None:
    """Change the detector or the corpus, then paste ``bench/redaction.py --corpus`` here."""
    table = markdown_table(evaluate(corpus(), shared_detector().find))
    assert table in DOCS.read_text(encoding="utf-8")
