"""Whether a text holds anything the detector could find, answered without Presidio's analysis.

Every recognizer we run without a named-entity model finds values only where one of its regular
expressions matches: Presidio's pattern recognizers report matches of their ``patterns``
(validated, scored, filtered: never added to), ``SecretRecognizer`` matches of its patterns, and
``CandidatePhoneRecognizer`` parses phone numbers only inside matches of its candidate
expression. So when none of those expressions matches anywhere in a text, the analysis would
find nothing, and ``CandidateGate.may_find`` says so. This is exact, not a heuristic: it is the
recognizers' own expressions, compiled the way they compile them (the ``regex`` module with the
recognizer's flags, or the ``re`` pattern it uses).

Why: most questions hold no personal data, and Presidio's orchestration around those expressions
(explanations, context, de-duplication) costs about a millisecond even for one short sentence,
plus the hop to a worker thread; the expressions alone cost a few microseconds. A recognizer of
any other kind (a spaCy model, something added later) makes the gate answer "maybe" for the
entities it supports, so the analysis always runs for them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]  # the engine Presidio's pattern recognizers use
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import IbanRecognizer

from llmcouncil.privacy.recognizers import (
    PHONE_CANDIDATE,
    CandidatePhoneRecognizer,
    NhsWithContextRecognizer,
    SecretRecognizer,
)

Search = Callable[[str], object]  # returns a match (truthy) or None

# Pattern recognizers whose ``analyze`` reports nothing beyond matches of their patterns: the
# base class's, and the overrides we have read (IBAN's own pattern loop; NHS's context filter).
_PATTERN_ONLY = (
    PatternRecognizer.analyze,
    IbanRecognizer.analyze,
    NhsWithContextRecognizer.analyze,
)


@dataclass(frozen=True, slots=True)
class _Candidates:
    entities: frozenset[str]
    searches: tuple[Search, ...] | None  # None: cannot tell without the analysis


def _searches(recognizer: EntityRecognizer) -> tuple[Search, ...] | None:
    if isinstance(recognizer, SecretRecognizer):
        return tuple(pattern.regex.search for pattern in recognizer.secret_patterns)
    if isinstance(recognizer, CandidatePhoneRecognizer):
        return (PHONE_CANDIDATE.search,)
    if isinstance(recognizer, PatternRecognizer) and type(recognizer).analyze in _PATTERN_ONLY:
        flags = recognizer.global_regex_flags
        patterns: list[Pattern] = recognizer.patterns  # type: ignore[has-type]  # unannotated
        return tuple(regex.compile(p.regex, flags=flags).search for p in patterns)
    return None


class CandidateGate:
    """Built once from the analyzer's recognizers; ``may_find`` is cheap and thread-safe."""

    def __init__(self, recognizers: Iterable[EntityRecognizer]) -> None:
        self._candidates = tuple(
            _Candidates(frozenset(r.supported_entities), _searches(r)) for r in recognizers
        )

    def may_find(self, text: str, entities: Collection[str]) -> bool:
        """False only when no recognizer of ``entities`` could find anything in ``text``."""
        for candidates in self._candidates:
            if candidates.entities.isdisjoint(entities):
                continue
            if candidates.searches is None:
                return True
            if any(search(text) for search in candidates.searches):
                return True
        return False
