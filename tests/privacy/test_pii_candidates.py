"""The candidate gate: it never hides what the analysis would find, and it spares the work
(and the worker thread) when nothing could be found."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pii_support import corpus
from presidio_analyzer import AnalyzerEngine, LocalRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from llmcouncil.config import Settings
from llmcouncil.privacy.candidates import CandidateGate
from llmcouncil.privacy.detector import LANGUAGE, PiiDetector, pattern_recognizers
from llmcouncil.privacy.policy import INLINE_SCAN_CHARS, PrivacyGuard
from llmcouncil.privacy.settings import PrivacySettings


@pytest.fixture(scope="module")
def reference() -> AnalyzerEngine:
    """Presidio's analysis with our recognizers and no gate in front of it."""
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in pattern_recognizers():
        registry.add_recognizer(recognizer)
    engine = NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}])
    engine.load()
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])


@pytest.fixture(scope="module")
def gate(reference: AnalyzerEngine) -> CandidateGate:
    return CandidateGate(reference.registry.recognizers)


def _entities(reference: AnalyzerEngine) -> list[str]:
    return list(reference.get_supported_entities())


def _pieces() -> list[str]:
    """Every corpus document whole, by paragraph and by line."""
    out: list[str] = []
    for document in corpus():
        out.append(document.text)
        out += [p for p in document.text.split("\n\n") if p.strip()]
        out += [line for line in document.text.splitlines() if line.strip()]
    return out


def test_the_gate_lets_through_everything_the_analysis_finds(
    reference: AnalyzerEngine, gate: CandidateGate
) -> None:
    entities = _entities(reference)
    pieces = _pieces()
    found = [p for p in pieces if reference.analyze(p, language=LANGUAGE, score_threshold=0)]
    assert len(found) > 100  # the corpus is full of values: the check below means something
    assert [p for p in found if not gate.may_find(p, entities)] == []
    # ...and it does spare work: most lines of prose hold nothing any recognizer could match.
    spared = [p for p in pieces if not gate.may_find(p, entities)]
    assert len(spared) > 50


_FRAGMENTS = [
    "call me on ",
    "+44 20 7946 0958",
    "NHS ",
    "943 476 5919",
    "a@b.io",
    "DE89 3704 0044 0532 0130 00",
    "4111 1111 1111 1111",
    "10.1.2.3",
    "fe80::1ff:fe23:4567:890a",
    "00:1A:2B:3C:4D:5E",
    "AB123456C",
    "123-45-6789",
    "ABCDE1234F",
    "S1234567D",
    "131052-308T",
    "X1234567L",
    "RSSMRA85T10A562S",
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "password=hunter2secret",
    "token abcdefghijklmnop1234",
    "https://u:pw1234@host",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "\n",
    " ",
    "-",
    "@",
    ".",
    ":",
    "the council ",
    "2024-01-02 ",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_FRAGMENTS),
            st.text(alphabet="0123456789 -.:@+()/ABCDEFXYZabcxyz\n", max_size=24),
        ),
        max_size=8,
    ).map("".join)
)
def test_nothing_the_analysis_finds_is_gated_away(
    reference: AnalyzerEngine, gate: CandidateGate, text: str
) -> None:
    if reference.analyze(text, language=LANGUAGE, score_threshold=0):
        assert gate.may_find(text, _entities(reference))


class _Names(LocalRecognizer):  # type: ignore[misc]
    """Stands for a named-entity model: it finds without any expression the gate could run."""

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[object]:
        return []


def test_a_recognizer_without_expressions_always_needs_the_analysis() -> None:
    gate = CandidateGate([*pattern_recognizers(), _Names(supported_entities=["PERSON"])])
    plain = "What are the trade-offs between consistency and availability?"
    assert gate.may_find(plain, ["PERSON"])
    assert not gate.may_find(plain, ["EMAIL_ADDRESS", "API_KEY"])  # the others can still tell


class _WhereScanned(PiiDetector):
    """The shared detector's work, noting the thread each scan ran on."""

    def __init__(self, inner: PiiDetector) -> None:  # not calling super: no second analyzer
        self._inner = inner
        self.threads: list[int] = []

    def may_find(self, text: str, *, entities: Collection[str] | None = None) -> bool:
        return self._inner.may_find(text, entities=entities)

    def find(  # type: ignore[override]
        self,
        text: str,
        *,
        entities: Collection[str] | None = None,
        checkpoint: Callable[[], None] | None = None,
    ) -> list[object]:
        self.threads.append(threading.get_ident())
        return self._inner.find(text, entities=entities, checkpoint=checkpoint)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("question", "scanned"),
    [
        ("What are the trade-offs between consistency and availability?", False),
        ("Write to ada@example.org about the trade-offs", True),  # something to find
        ("Trade-offs? " * (INLINE_SCAN_CHARS // 10), True),  # too long to ask on the loop
    ],
)
def test_a_short_turn_with_nothing_to_find_is_not_scanned(question: str, scanned: bool) -> None:
    guard = PrivacyGuard.in_memory(Settings(privacy=PrivacySettings(ner_model="none")))
    spy = _WhereScanned(guard.detector)
    guard.detector = spy

    async def protect() -> tuple[int, str]:
        turn = await guard.protect(
            conversation_id="c1", vault_token=None, question=question, policy="redact"
        )
        return threading.get_ident(), turn.question

    loop_thread, sent = asyncio.run(protect())
    if scanned:  # on a worker thread, never on the loop
        assert spy.threads and loop_thread not in spy.threads
    else:
        assert spy.threads == []
    assert ("ada@example.org" in sent) is False
