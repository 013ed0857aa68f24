"""Which lines of a reply could hold a header, a label or a correction, found with ``str.find``.

The parser's patterns are careful but slow to try at every position of a reply (a case-insensitive
alternation costs about a microsecond per character), and most lines of a review are prose that
none of them could match. Every pattern that is tried line by line needs one of a few words to
match at all, so the reply is lowercased once, each word is found with ``str.find`` (C speed), and
a pattern is tried only on the lines that hold one of its words. The words below are a superset of
what each pattern needs: a line without any of them cannot match, so nothing is missed.
"""

from __future__ import annotations

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


class KeywordIndex:
    """Line numbers of a text that hold given words, case-insensitively."""

    def __init__(self, text: str, line_starts: Sequence[int]) -> None:
        self._lowered = text.lower()
        self._starts = line_starts
        self._cache: dict[tuple[str, ...], list[int]] = {}

    @property
    def lowered(self) -> str:
        return self._lowered

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
