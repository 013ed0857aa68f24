"""Finding personal data and secrets in text, with Presidio's analyzer, offline.

The analyzer is built once per process (``shared_detector``) from an explicit list of
recognizers: Presidio's pattern recognizers whose shapes are distinctive or checksummed (e-mail,
phone numbers through phonenumbers, cards with Luhn, IBAN with its checksum, IPv4/IPv6, MAC,
crypto wallets, and national IDs with letters, separators or check digits), plus our own
``SecretRecognizer``. Without a spaCy model it runs on Presidio's no-op NLP engine, so nothing
is loaded or downloaded and names and places are *not* detected; with a spaCy model installed
(``privacy.ner_model``) it adds PERSON and LOCATION. We never let Presidio download a model.

Values wrapped over two lines (a card or IBAN in OCR output, an e-mail broken after its "@") are
rejoined before the analysis, and the findings mapped back to the original offsets.

Presidio (and spaCy under it: most of a second of CPU) is imported when a detector is built, not
with this module, which the run machinery and the documents import for ``Finding`` and the
guard: a process that scans no text (``council conversations list``, ``users``, ``--help``)
does not pay for it.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmcouncil.privacy.entities import NER_ENTITIES, SECRET_ENTITIES
from llmcouncil.privacy.scanning import windowed
from llmcouncil.privacy.settings import find_ner_model

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer
    from presidio_analyzer.nlp_engine import NlpEngine

log = logging.getLogger(__name__)

LANGUAGE = "en"


def pattern_recognizers() -> list[EntityRecognizer]:
    from presidio_analyzer import predefined_recognizers as predefined

    from llmcouncil.privacy.recognizers import (
        CandidatePhoneRecognizer,
        NhsWithContextRecognizer,
        OfflineEmailRecognizer,
        PublicIpRecognizer,
        SecretRecognizer,
        in_pan_recognizer,
    )

    # Country recognizers default to their country's language; we analyse every text as "en".
    en = LANGUAGE
    return [
        OfflineEmailRecognizer(),
        CandidatePhoneRecognizer(),
        predefined.CreditCardRecognizer(),
        predefined.IbanRecognizer(),
        PublicIpRecognizer(),
        predefined.MacAddressRecognizer(),
        predefined.CryptoRecognizer(),
        predefined.UsSsnRecognizer(),
        predefined.UsItinRecognizer(),
        predefined.UkNinoRecognizer(),
        NhsWithContextRecognizer(),
        predefined.EsNifRecognizer(supported_language=en),
        predefined.EsNieRecognizer(supported_language=en),
        predefined.ItFiscalCodeRecognizer(supported_language=en),
        in_pan_recognizer(en),
        predefined.SgFinRecognizer(supported_language=en),
        predefined.FiPersonalIdentityCodeRecognizer(supported_language=en),
        SecretRecognizer(),
    ]


@dataclass(frozen=True, slots=True)
class Finding:
    entity: str
    start: int
    end: int
    score: float

    @property
    def secret(self) -> bool:
        return self.entity in SECRET_ENTITIES


@dataclass(frozen=True, slots=True)
class NerStatus:
    """Whether names and places are detected, and why (or why not), for status and config check."""

    available: bool
    model: str | None
    message: str


def _spacy_engine(model: str) -> NlpEngine:
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    config = NerModelConfiguration(
        labels_to_ignore=["DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"]
    )
    return SpacyNlpEngine(
        models=[{"lang_code": LANGUAGE, "model_name": model}], ner_model_configuration=config
    )


# Line breaks that split one value: after "-" or "@" or before "@" (dropped), and inside a run
# of digits and capitals such as a wrapped card or IBAN (read as one space).
_WRAP = re.compile(
    r"(?P<join>(?<=[-@])[ \t]*\r?\n[ \t]*(?=[0-9A-Za-z])"
    r"|(?<=[0-9A-Za-z])[ \t]*\r?\n[ \t]*(?=@))"
    r"|(?P<space>(?<=[0-9A-Z])[ \t]*\r?\n[ \t]*(?=[0-9A-Z]))"
)


def unwrap_lines(text: str) -> tuple[str, list[int] | None]:
    """``text`` with wrapped values rejoined, and each character's offset in ``text``.

    The offsets are ``None`` when nothing was rejoined (the common case: no copy is made).
    """
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _WRAP.finditer(text):
        pieces.append(text[position : match.start()])
        offsets.extend(range(position, match.start()))
        if match.group("space") is not None:
            pieces.append(" ")
            offsets.append(match.start())
        position = match.end()
    if not pieces:
        return text, None
    pieces.append(text[position:])
    offsets.extend(range(position, len(text) + 1))  # the end, for spans that reach it
    return "".join(pieces), offsets


class PiiDetector:
    """Presidio's analyzer with our recognizers; build it once (``shared_detector``)."""

    def __init__(self, *, ner_model: str = "auto", score_threshold: float = 0.35) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        from llmcouncil.privacy.candidates import CandidateGate

        model, message = find_ner_model(ner_model)
        engine: NlpEngine | None = None
        if model is not None:
            try:
                engine = _spacy_engine(model)
                engine.load()
            except Exception as exc:  # a broken or incompatible model must not stop the server
                log.warning("could not load the spaCy model %s: %s", model, exc)
                engine, model = None, None
                message = f"names and places are NOT detected: loading the model failed ({exc})"
        if engine is None:
            engine = NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "none"}])
            engine.load()
        self.ner = NerStatus(available=model is not None, model=model, message=message)
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for recognizer in pattern_recognizers():
            registry.add_recognizer(recognizer)
        if model is not None:
            registry.add_recognizer(SpacyRecognizer(supported_entities=list(NER_ENTITIES)))
        self._analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=engine,
            supported_languages=[LANGUAGE],
            default_score_threshold=score_threshold,
        )
        self.entities: tuple[str, ...] = tuple(sorted(self._analyzer.get_supported_entities()))
        self._gate = CandidateGate(self._analyzer.registry.recognizers)
        self._lock = threading.Lock()
        # The first e-mail loads the public-suffix snapshot (~0.2 s): not on a user's request.
        self.find("warm-up: a@example.com, +1 415 555 0132")

    def may_find(self, text: str, *, entities: Collection[str] | None = None) -> bool:
        """False when ``find`` would surely find nothing: no recognizer's expression matches.

        Microseconds for a short text (``candidates.py``); a long one is better left to ``find``
        on a worker thread, which asks the same question first.
        """
        wanted = self._wanted(entities)
        if not wanted or not text.strip():
            return False
        return self._gate.may_find(unwrap_lines(text)[0], wanted)

    def _wanted(self, entities: Collection[str] | None) -> list[str]:
        return [e for e in self.entities if entities is None or e in entities]

    def find(
        self,
        text: str,
        *,
        entities: Collection[str] | None = None,
        checkpoint: Callable[[], None] | None = None,
    ) -> list[Finding]:
        """Non-overlapping findings in ``text``, in order. Blocking: call it off the event loop.

        Long texts are analysed in bounded windows (``scanning.windowed``), so the time grows
        with the length, not its square; ``checkpoint`` is called before each window and may
        raise to stop the scan.
        """
        if not text.strip():
            return []
        wanted = self._wanted(entities)
        if not wanted:
            return []
        flat, offsets = unwrap_lines(text)
        if not self._gate.may_find(flat, wanted):
            return []

        def analyze(start: int, end: int) -> list[Finding]:
            piece = flat[start:end]
            if start and not self._gate.may_find(piece, wanted):
                return []
            with self._lock:
                results = self._analyzer.analyze(piece, language=LANGUAGE, entities=wanted)
            return [
                Finding(r.entity_type, r.start + start, r.end + start, float(r.score))
                for r in results
                if r.end > r.start
            ]

        found = windowed(len(flat), analyze, checkpoint=checkpoint)
        if offsets:
            found = [
                Finding(f.entity, offsets[f.start], offsets[f.end - 1] + 1, f.score) for f in found
            ]
        return merge_overlaps(found)


def merge_overlaps(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings become one span over both, named by the surer (then longer) one."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            best = max((last, finding), key=lambda f: (f.score, f.secret, f.end - f.start))
            merged[-1] = Finding(best.entity, last.start, max(last.end, finding.end), best.score)
        else:
            merged.append(finding)
    return merged


@functools.cache
def shared_detector(*, ner_model: str = "auto", score_threshold: float = 0.35) -> PiiDetector:
    """One detector per configuration for the process: building one takes most of a second."""
    return PiiDetector(ner_model=ner_model, score_threshold=score_threshold)
