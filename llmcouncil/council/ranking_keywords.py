"""Which lines of a reply could hold a header, a label or a correction, found with ``str.find``.

The parser's patterns are careful but slow to try at every position of a reply (a case-insensitive
alternation costs about a microsecond per character), and most lines of a review are prose that
none of them could match. Every pattern that is tried line by line needs one of a few words to
match at all, so the reply is lowercased once, each word is found with ``str.find`` (C speed), and
a pattern is tried only on the lines that hold one of its words. The words below are a superset of
what each pattern needs: a line without any of them cannot match, so nothing is missed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

# Every alternative of ranking_vocab.HEADER contains one of these (lowercased).
HEADER_WORDS = (
    "rank", "order", "orden", "best", "worst", "strongest", "weakest", "top", "correction",
    "corrected", "edit",
    "update", "revis", "classement", "clasificaci", "classifica", "graduatoria", "rangfolge",
    "rangliste", "reihenfolge", "ranglijst", "rangschik", "排名", "排序", "ランキング", "順位",
    "рейтинг", "ранжир",
)  # fmt: skip
# Every alternative of ranking_vocab.HARD_HEADER contains one of these: a line without them can
# hold only a soft header, which must open its line.
HARD_HEADER_WORDS = (
    "rank", "orden", "classement", "clasificaci", "classifica", "graduatoria", "rangfolge",
    "rangliste", "reihenfolge", "rangschik", "排名", "排序", "ランキング", "順位", "рейтинг",
    "ранжир",
)  # fmt: skip
# Every label ranking_vocab.LABEL reads contains one of these (lowercased).
LABEL_WORDS = (
    "resp", "répon", "repon", "antw", "answ", "odpowied", "ответ", "回答", "回复", "答案", "応答",
    "レスポンス",
)  # fmt: skip
# Every line ranking_vocab.CORRECTION matches holds one of these (lowercased).
CORRECTION_WORDS = (
    "correct", "edit", "update", "errat", "revis", "actually", "wait", "oops", "scratch",
    "second", "reflection", "made", "mislabel", "mixed", "need", "let", "p.", "ps", "p s",
)  # fmt: skip
DIGITS = tuple("0123456789")
# Every match of ranking_vocab.REFUSAL ends in one of these; every match of ALL_TIED holds one.
REFUSAL_WORDS = ("rank", "evaluat", "compar", "judge", "order")
ALL_TIED_WORDS = (
    "tie", "equal", "same", "indistinguishable", "preference", "difference", "winner",
)  # fmt: skip


def search_lines(pattern: re.Pattern[str], text: str, words: tuple[str, ...]) -> bool:
    """Whether ``pattern`` (which never matches across a line break, and each of whose matches
    holds one of ``words`` ignoring case) matches ``text``: tried only on the lines holding one of
    the words, instead of at every character of the text. A line that is not ASCII is always
    tried: ignoring case, a pattern matches a few letters that lowercasing does not turn into
    their ASCII twin ("ſ" for "s")."""
    lowered = text.lower()
    if len(lowered) != len(text):  # lowercasing moved the offsets: read line by line
        return any(
            pattern.search(line)
            for line in text.split("\n")
            if not line.isascii() or any(word in line.lower() for word in words)
        )
    tried: set[int] = set()
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            if start not in tried:
                tried.add(start)
                if pattern.search(text, start, end):
                    return True
            at = lowered.find(word, end)
    if text.isascii():
        return False
    offset = 0
    for line in text.split("\n"):
        if not line.isascii() and offset not in tried and pattern.search(line):
            return True
        offset += len(line) + 1
    return False


class KeywordIndex:
    """Line numbers of a text that hold given words, case-insensitively."""

    def __init__(self, text: str, line_starts: Sequence[int]) -> None:
        self._lowered = text.lower()
        self._length = len(text)
        self._sets: dict[tuple[str, ...], set[int]] = {}
        self._starts = line_starts
        self._cache: dict[tuple[str, ...], list[int]] = {}

    @property
    def lowered(self) -> str:
        return self._lowered

    @property
    def aligned(self) -> bool:
        """Whether the lowered text has the text's offsets (lowercasing "İ" adds a character)."""
        return len(self._lowered) == self._length

    def line(self, index: int) -> str:
        """Line ``index`` of the lowered text, its line break included (when aligned)."""
        starts = self._starts
        end = starts[index + 1] if index + 1 < len(starts) else len(self._lowered)
        return self._lowered[starts[index] : end]

    def holds(self, index: int, words: tuple[str, ...], *, head: int) -> bool:
        """Whether line ``index`` is one of ``lines_with(words, head=head)``: for a few lines,
        without a search of the whole text per word."""
        if not self.aligned:
            return index in self._line_set(words, head)
        text = self.line(index)
        return any(0 <= text.find(word, 0, head + len(word) - 1) for word in words)

    def _line_set(self, words: tuple[str, ...], head: int) -> set[int]:
        key = ("set", *words, str(head))
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = set(self.lines_with(words, head=head))
        return found

    def lines_with(self, words: tuple[str, ...], *, head: int | None = None) -> list[int]:
        """Indices of the lines holding any of ``words`` (lowercase), in order; with ``head``,
        only where a word starts within the line's first ``head`` characters."""
        key = (*words, str(head))
        found = self._cache.get(key)
        if found is None:
            found = sorted(set(self._line_numbers(words, head)))
            self._cache[key] = found
        return found

    def _line_numbers(self, words: Iterable[str], head: int | None) -> Iterable[int]:
        lowered, starts = self._lowered, self._starts
        for word in words:
            at = lowered.find(word)
            while at >= 0:
                line = bisect_right(starts, at) - 1
                if head is None or at - starts[line] < head:
                    yield line
                # One hit per line is enough: go on from the next line's start.
                next_start = starts[line + 1] if line + 1 < len(starts) else len(lowered)
                at = lowered.find(word, max(next_start, at + 1))
