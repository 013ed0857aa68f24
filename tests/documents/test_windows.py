"""Context windows from the model catalogue, and which chapters want a summary."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_context import book

from llmcouncil.config import Settings
from llmcouncil.documents.context import Focus
from llmcouncil.documents.service import DocumentService
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.documents.summaries import chapters_wanting_summaries, clean_summary
from llmcouncil.documents.windows import MIN_CHARS, catalogue_windows, document_chars
from llmcouncil.errors import ConfigError
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.providers.catalogue import ModelInfo


def test_a_window_in_tokens_becomes_characters_of_documents() -> None:
    assert document_chars(128_000) == int(128_000 * 3.5 * 0.8) - 12_000
    assert document_chars(1_000_000) > document_chars(128_000) > document_chars(32_000)
    assert document_chars(2_000) == MIN_CHARS


def test_catalogue_windows_know_only_what_the_catalogue_states() -> None:
    listed = {"big": ModelInfo(id="big", name="Big", context_length=200_000)}

    def info(ref: str) -> ModelInfo | None:
        if ref == "nowhere:x":
            raise ConfigError(["unknown provider 'nowhere'"])
        return listed.get(ref) or (ModelInfo(id=ref, name=ref) if ref == "silent" else None)

    window = catalogue_windows(info)
    assert window("big") == document_chars(200_000)
    assert window("silent") is None  # listed without a context length
    assert window("unlisted") is None and window("nowhere:x") is None


def _service(settings: DocumentSettings, windows: dict[str, int]) -> DocumentService:
    return DocumentService(
        store=SimpleNamespace(engine=None),  # type: ignore[arg-type]  # budget_for reads none
        privacy=PrivacyGuard.in_memory(Settings()),
        settings=settings,
        policy_for=lambda _: Settings().preset(None).pii_policy,
        context_window=windows.get,
    )


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({}, 50_000),  # the smallest stated window among the models
        ({"b": 20_000}, 20_000),  # a configured window wins over the catalogue's
        ({"sim:a": 10_000}, 10_000),  # configured with its provider prefix
    ],
)
def test_the_budget_is_the_smallest_window(configured: dict[str, int], expected: int) -> None:
    settings = DocumentSettings(context_chars=30_000, model_context_chars=configured)
    service = _service(settings, {"sim:a": 90_000, "b": 50_000})
    assert service.budget_for(["sim:a", "b"]) == expected
    assert service.budget_for(["unknown"]) == 30_000  # neither says: the default


def test_chapters_before_the_focus_without_a_summary_want_one() -> None:
    document = book(paragraphs=2)
    sections = document.sections or []
    sections[0].summary = None
    sections[2].summary = None
    wanted = chapters_wanting_summaries(document, Focus(document_id="d1", number="4"))
    assert [s.number for s, _ in wanted] == ["1", "3"]
    assert wanted[0][1] == sections[0].text
    assert chapters_wanting_summaries(document, Focus(document_id="d1", number="1")) == []
    assert chapters_wanting_summaries(document, Focus(document_id="d1", number="9")) == []


def test_a_summary_is_cut_at_a_word() -> None:
    assert clean_summary("  a   short\nsummary ", max_chars=100) == "a short summary"
    cut = clean_summary("word " * 100, max_chars=23)
    assert cut == "word word word word…" and len(cut) <= 23
