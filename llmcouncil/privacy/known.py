"""Values a conversation's vault already holds, found again wherever they are written.

A value the detector found once (``password=Kp4$mN8@rT2yB``) must never leave when it is written
again in a shape the detector does not know (``is Kp4$mN8@rT2yB strong enough?``), in any turn,
history, system prompt or pasted document. ``KnownValues`` finds every occurrence of every value
of a vault in one pass over the text, whatever the number of values: the values are compiled
into one regular expression shaped as a trie (``(?:ab(?:c|d)|x…)``), so at each position the
engine follows one branch per character instead of trying every value in turn (an alternation
of 1,000 escaped values took 13 s over 4 M characters; the trie 0.5 s).

How values match:

* Exactly as written, anywhere, even inside a longer word: a secret written as part of
  something else is still that secret.
* E-mail addresses ignore case (``Ana@Example.com`` is the same mailbox); an occurrence written
  in another case gets a placeholder of its own, so it is restored as written.
* Names and places (found only with a spaCy model) match whole words only: a person called
  ``Ann`` does not turn "Annual" into a placeholder.
* Values shorter than ``MIN_CHARS`` are replaced only where the detector finds them.
* Overlapping occurrences (two values that share characters, a value inside another) become
  one span covering both, so no part of either is left in clear.
* Text shaped like a placeholder is never matched into (the caller drops such overlaps).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from llmcouncil.privacy.entities import LITERAL_PLACEHOLDER, NER_ENTITIES

MIN_CHARS = 3
FOLDED_ENTITIES = frozenset({"EMAIL_ADDRESS"})
WORD_ENTITIES = frozenset(NER_ENTITIES)
_END = ""  # the trie's mark for "a value ends here" (no character is the empty string)
# Deeper tries (long chains of values that are prefixes of one another) fall back to a plain
# alternation, longest first: correct, only slower.
_MAX_TRIE_DEPTH = 200


@dataclass(frozen=True, slots=True)
class KnownSpan:
    start: int
    end: int
    entity: str


class _Search:
    """One compiled expression over a group of values, and each value's entity."""

    def __init__(self, entities: dict[str, str], *, folded: bool, words: bool) -> None:
        self._entities = entities
        self._folded = folded
        body = _expression(list(entities))
        if words:
            body = rf"(?<!\w)(?:{body})(?!\w)"
        flags = re.IGNORECASE if folded else 0
        self._pattern = re.compile(body, flags)

    def spans(self, text: str) -> Iterator[KnownSpan]:
        pattern = self._pattern
        position = 0
        while (match := pattern.search(text, position)) is not None:
            start, end = match.span()
            # A value that starts inside this one and reaches further joins the span.
            inner = start + 1
            while inner < end:
                other = pattern.match(text, inner)
                if other is not None and other.end() > end:
                    end = other.end()
                inner += 1
            key = match.group().lower() if self._folded else match.group()
            yield KnownSpan(start, end, self._entities.get(key, "UNKNOWN"))
            position = max(end, start + 1)


class KnownValues:
    """Built from (entity, value) pairs; ``find`` is linear in the text's length."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        words: dict[str, str] = {}
        for entity, value in entries:
            if entity == LITERAL_PLACEHOLDER or len(value) < MIN_CHARS:
                continue
            if entity in WORD_ENTITIES:
                words.setdefault(value, entity)
            elif entity in FOLDED_ENTITIES:
                folded.setdefault(value.lower(), entity)
            else:
                exact.setdefault(value, entity)
        groups = ((exact, False, False), (folded, True, False), (words, False, True))
        self._searches = [
            _Search(values, folded=fold, words=word) for values, fold, word in groups if values
        ]

    def __bool__(self) -> bool:
        return bool(self._searches)

    def find(self, text: str) -> list[KnownSpan]:
        """Every occurrence in ``text``, in order; overlapping ones joined into one span."""
        found = sorted(
            (span for search in self._searches for span in search.spans(text)),
            key=lambda s: (s.start, -s.end),
        )
        joined: list[KnownSpan] = []
        for span in found:
            if joined and span.start < joined[-1].end:
                last = joined[-1]
                joined[-1] = KnownSpan(last.start, max(last.end, span.end), last.entity)
            else:
                joined.append(span)
        return joined


def _expression(values: list[str]) -> str:
    """One expression matching each of ``values``, the longest first where several start alike."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]  # a trie: character → subtree
    for value in values:
        node = root
        for char in value:
            node = node.setdefault(char, {})
        node[_END] = {}
    try:
        expression = _branches(root, depth=0)
        re.compile(expression)
    except (RecursionError, re.error, OverflowError):
        expression = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return expression


def _branches(node: dict[str, dict], *, depth: int) -> str:  # type: ignore[type-arg]
    if depth > _MAX_TRIE_DEPTH:
        raise RecursionError("trie too deep")
    parts: list[str] = []
    for char in sorted(c for c in node if c != _END):
        literal, child = re.escape(char), node[char]
        while len(child) == 1 and _END not in child:  # a chain of single characters: one literal
            ((next_char, child),) = child.items()
            literal += re.escape(next_char)
        parts.append(literal + _branches(child, depth=depth + 1))
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    # Greedy: the longer value is tried first, the shorter one where this one ends is kept
    # when the longer does not match.
    return f"(?:{body})?" if _END in node else body
