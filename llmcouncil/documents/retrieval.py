"""Which sections a question is about: Okapi BM25 over a conversation's sections, in Python.

Chosen over SQLite FTS5 and PostgreSQL full-text search because the corpus of one question is
small (the sections of one conversation's documents: a long book is a few hundred sections and
a few hundred thousand words, scored in milliseconds), it is already in memory when a run is
prepared, and one implementation behaves the same on both databases, with no virtual table or
dialect-specific index to migrate. Placeholders (``<EMAIL_1>``) are ordinary tokens, so the
redacted text is searched as it is stored.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours chapter section page what's tell""".split()
)
K1 = 1.5
B = 0.75


def tokens(text: str) -> list[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return [_stem(w) for w in words if w not in STOP_WORDS and len(w) > 1]


def _stem(word: str) -> str:
    """Plural and possessive endings off, so "glaciers" finds "glacier"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def bm25_scores(query: str, documents: Sequence[str]) -> list[float]:
    """One score per text in ``documents`` for ``query``; 0 where no query word occurs."""
    terms = set(tokens(query))
    if not terms or not documents:
        return [0.0] * len(documents)
    counted = [Counter(tokens(text)) for text in documents]
    lengths = [sum(c.values()) for c in counted]
    average = (sum(lengths) / len(lengths)) or 1.0
    n = len(documents)
    idf = {}
    for term in terms:
        frequency = sum(1 for c in counted if term in c)
        idf[term] = math.log(1 + (n - frequency + 0.5) / (frequency + 0.5))
    scores = []
    for counts, length in zip(counted, lengths, strict=True):
        score = 0.0
        for term in terms:
            tf = counts.get(term, 0)
            if tf:
                score += idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(score)
    return scores
