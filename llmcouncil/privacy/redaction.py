"""Putting placeholders into a text: what the detector found, values the vault already holds,
and placeholder-shaped text the user typed.

The spans are merged first (``merge_overlaps``), then the text is rebuilt in one pass, so the
work is linear in the length of the text whatever the number of spans (Presidio's anonymizer
rebuilds the whole text once per span).
"""

from __future__ import annotations

from collections import Counter

from llmcouncil.privacy.detector import Finding, merge_overlaps
from llmcouncil.privacy.entities import LITERAL_PLACEHOLDER
from llmcouncil.privacy.known import KnownValues
from llmcouncil.privacy.vault import PLACEHOLDER, PiiVault

# Above any detector score: where a known value and a finding overlap, the merged span is named
# by the vault's entity, so the value keeps the placeholder it already has.
KNOWN_SCORE = 2.0


def _apart(findings: list[Finding], blockers: list[tuple[int, int]]) -> list[Finding]:
    """The findings that overlap none of ``blockers``; both sorted, neither overlapping itself:
    one pass over both."""
    kept: list[Finding] = []
    i = 0
    for f in findings:
        while i < len(blockers) and blockers[i][1] <= f.start:
            i += 1
        if i < len(blockers) and blockers[i][0] < f.end:
            continue
        kept.append(f)
    return kept


def spans_to_replace(
    text: str, findings: list[Finding], known: KnownValues, *, literals: bool
) -> list[Finding]:
    """``findings`` plus every known value in ``text``, merged; with ``literals``, the
    placeholder-shaped text the user typed too (``<EMAIL_1>``), so it gets a placeholder of its
    own and is shown back as typed, never as a value of the vault.

    A known value is never matched into placeholder-shaped text: in history those are the
    placeholders of earlier turns.
    """
    shaped = [m.span() for m in PLACEHOLDER.finditer(text)] if "<" in text else []
    if known:
        found = _apart(
            [Finding(s.entity, s.start, s.end, KNOWN_SCORE) for s in known.find(text)], shaped
        )
        if found:
            findings = merge_overlaps([*findings, *found])
    if literals and shaped:
        taken = [(f.start, f.end) for f in findings]
        extra = _apart([Finding(LITERAL_PLACEHOLDER, s, e, 0.0) for s, e in shaped], taken)
        if extra:
            findings = sorted([*findings, *extra], key=lambda f: f.start)
    return findings


def redact(text: str, findings: list[Finding], vault: PiiVault, counts: Counter[str]) -> str:
    """``text`` with each of ``findings`` (sorted, not overlapping) replaced by its placeholder,
    numbered in reading order."""
    if not findings:
        return text
    counts.update(f.entity for f in findings if f.entity != LITERAL_PLACEHOLDER)
    pieces: list[str] = []
    position = 0
    for f in findings:
        pieces += [text[position : f.start], vault.placeholder(f.entity, text[f.start : f.end])]
        position = f.end
    pieces.append(text[position:])
    return "".join(pieces)
