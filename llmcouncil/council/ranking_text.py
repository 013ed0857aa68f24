"""Every ranking a reply states in its text, with where it stated it.

The reply is read line by line. A ranking header ("FINAL RANKING:", "Classement final", "My
ranking:", "Correction:") opens a section whose first block is read; without a header only shapes
that cannot be anything else count (a chain "C > A > B" naming every label, a list of bare labels,
a table with a rank column, lines placing each label "2nd"), and per-response scores count only
when nothing else does. Quoted material (code blocks, ``>`` quotes, a header in quote marks or
reported as what an answer "ends with") is masked first, so it cannot win.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from llmcouncil.council.ranking_blocks import (
    Line,
    item_of,
    line_score,
    list_block,
    ordinal_link,
    places_reading,
    read_list,
    scores_reading,
    strip_markdown,
)
from llmcouncil.council.ranking_headerless import direction, headerless, oriented, scores, take
from llmcouncil.council.ranking_keywords import (
    CORRECTION_WORDS,
    DIGITS,
    HARD_HEADER_WORDS,
    HEADER_WORDS,
    LABEL_WORDS,
    KeywordIndex,
)
from llmcouncil.council.ranking_reading import Reading, labels_in, sequence_tiers
from llmcouncil.council.ranking_tables import read_table
from llmcouncil.council.ranking_vocab import (
    CORRECTION,
    HEADER,
    HEADER_LOWER,
    HEADER_TAIL,
    QUOTE_MARKS,
    QUOTING,
)

_FENCE = re.compile(r"^[ \t]*(?:```|~~~)")
_QUOTE_LINE = re.compile(r"^[ \t]*>")
_ANY_QUOTE_LINE = re.compile(r"^[ \t]*>", re.MULTILINE)
_INLINE_QUOTE = re.compile(r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|«[^»\n]{1,400}»")
_INLINE_NUMBER = re.compile(r"(?:^|(?<=[ \t]))[*_]{0,2}\d{1,2}[.)](?![\d])[*_]{0,2}[ \t]*")
_MAX_HEADERS = 50  # a reply repeating a header thousands of times is not worth reading each
_HARD_REACH = 300  # how far into a line a FINAL RANKING header is looked for
_SOFT_REACH = 160
_TAIL_LINES = 2_000  # of a longer reply only the last lines are read
_PROSE_SKIP = 4  # lines of prose allowed between a FINAL RANKING header and its list


@dataclass
class TextScan:
    readings: list[Reading] = field(default_factory=list)
    corrections: list[Line] = field(default_factory=list)
    unreadable_header: bool = False


def mask_quotes(text: str, *, keep_blocks: bool) -> str:
    """``text`` with quoted material blanked (same length, line breaks kept). With
    ``keep_blocks`` code blocks and ``>`` quotes are kept and only their markers blanked."""
    if (
        "```" not in text
        and "~~~" not in text
        and (">" not in text or _ANY_QUOTE_LINE.search(text) is None)
    ):
        # No blocks: only inline quotes to look at, and they never span a line break.
        if '"' in text or "“" in text or "«" in text:
            return _INLINE_QUOTE.sub(_blank_if_header, text)
        return text
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(" " * len(line))
            continue
        if in_fence and not keep_blocks:
            out.append(" " * len(line))
            continue
        quote = _QUOTE_LINE.match(line)
        if quote:
            line = " " * len(line) if not keep_blocks else " " * quote.end() + line[quote.end() :]
        quoted = '"' in line or "“" in line or "«" in line
        out.append(_INLINE_QUOTE.sub(_blank_if_header, line) if quoted else line)
    return "\n".join(out)


def _blank_if_header(match: re.Match[str]) -> str:
    return " " * len(match.group()) if HEADER.search(match.group()) else match.group()


def _lines(text: str) -> list[Line]:
    lines: list[Line] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    return lines


@dataclass
class _Header:
    index: int
    hard: bool
    rest: str  # the line after the header's colon
    rest_offset: int
    upwards: bool | None  # whether the ranking runs worst to best; None when it says both


def _header(line: Line, index: int, *, maybe_hard: bool, words: KeywordIndex) -> _Header | None:
    offset, text = line
    # A header opens its line: at most 80 characters of text (40 for a soft one) come before it,
    # so only the line's head is searched, not all of a long line. The search runs on the
    # lowercased text with a case-sensitive pattern: several times faster than ignoring case.
    limit = min(len(text), _HARD_REACH if maybe_hard else _SOFT_REACH)
    lowered = words.lowered[offset : offset + len(text)]
    pattern = HEADER_LOWER if len(lowered) == len(text) else HEADER
    searched = lowered if pattern is HEADER_LOWER else text
    for match in pattern.finditer(searched, 0, limit):
        if match.end() == limit < len(text):
            continue  # cut off by the limit, so its end is not known
        hard = match.group("hard") is not None
        before = text[: match.start()]
        plain = before.strip(" \t*_#>-")
        if plain and plain[-1] in QUOTE_MARKS or QUOTING.search(before):
            continue
        if len(plain) > (80 if hard else 40) or (not hard and labels_in(plain)):
            continue
        tail = HEADER_TAIL.match(text, match.end())
        if tail is None:
            continue
        heading = text.lstrip().startswith(("#", "**", "__"))
        if not tail.group("colon").strip() and not (hard or heading):
            continue
        stated = text[: tail.end()]
        return _Header(index, hard, text[tail.end() :], offset + tail.end(), direction(stated))
    return None


def scan_text(text: str, *, known_count: int) -> TextScan:
    """Every ranking stated in ``text``. Of a reply longer than ``_TAIL_LINES`` lines only the
    tail is read (from a paragraph break): the final ranking closes a reply, and the work stays
    bounded however long the reply is."""
    if text.count("\n") <= _TAIL_LINES:
        return _scan(text, known_count=known_count)
    tail = "\n".join(text.rsplit("\n", _TAIL_LINES)[1:])
    cut = len(text) - len(tail)
    paragraph = text.find("\n\n", cut, cut + 20_000)
    cut = paragraph + 2 if paragraph >= 0 else cut
    scan = _scan(text[cut:], known_count=known_count)
    for reading in scan.readings:
        reading.start += cut
        reading.end += cut
        reading.notes.append(f"the reply is long: only its last {_TAIL_LINES:,} lines were read")
    scan.corrections = [(offset + cut, line) for offset, line in scan.corrections]
    return scan


def _scan(text: str, *, known_count: int) -> TextScan:
    lines = _lines(text)
    words = KeywordIndex(text, [start for start, _ in lines])
    scan = TextScan()
    headers: list[_Header] = []
    scan.corrections = _corrections(lines, words)
    # Only the last headers are read, so they are looked for from the end.
    for index in reversed(words.lines_with(HEADER_WORDS, head=_HARD_REACH)):
        maybe_hard = words.holds(index, HARD_HEADER_WORDS, head=_HARD_REACH)
        header = _header(lines[index], index, maybe_hard=maybe_hard, words=words)
        if header is not None:
            headers.append(header)
            if len(headers) == _MAX_HEADERS:
                break
    headers.reverse()
    claimed: set[int] = set()  # lines read as part of a header's section
    for position, header in enumerate(headers):
        stop = headers[position + 1].index if position + 1 < len(headers) else len(lines)
        reading = _section(header, lines, stop=stop, claimed=claimed)
        if reading is not None:
            reading.hard = header.hard
            reading.lead = lines[header.index][1]
            scan.readings.append(reading)
            scan.unreadable_header = scan.unreadable_header or not reading.tiers
    labelled = set(words.lines_with(LABEL_WORDS))
    for reading in headerless(lines, claimed=claimed, labelled=labelled, known_count=known_count):
        reading.lead = _line_before(lines, reading.start)
        scan.readings.append(reading)
    if not scan.readings:
        scan.readings += scores(lines, labelled=labelled, digits=set(words.lines_with(DIGITS)))
    scan.readings.sort(key=lambda reading: reading.start)
    return scan


# The first letters of CORRECTION's words, in either case: a line whose first letter after the
# marks CORRECTION skips is none of these (and is ASCII) cannot open a correction.
_CORRECTION_INITIALS = frozenset("ceuraowsilpCEURAOWSILP")


def _corrections(lines: list[Line], words: KeywordIndex) -> list[Line]:
    """The lines that open with a correction. CORRECTION is anchored at the line's start, so
    the letter it would start on rules most lines out; a line that is not ASCII is read only when
    it holds one of the words (ignoring case, the pattern matches letters lowercasing misses)."""
    if not words.aligned:
        return [
            lines[i] for i in words.lines_with(CORRECTION_WORDS) if CORRECTION.match(lines[i][1])
        ]
    found = []
    for index, line in enumerate(lines):
        text = line[1]
        first = text.lstrip(" \t*_#>([-")[:1]
        if not first or (first not in _CORRECTION_INITIALS and first.isascii()):
            continue
        if CORRECTION.match(text) is None:
            continue
        if text.isascii() or any(word in words.line(index) for word in CORRECTION_WORDS):
            found.append(line)
    return found


def _line_before(lines: list[Line], offset: int) -> str:
    index = bisect_right([start for start, _ in lines], offset) - 1
    while index > 0:
        index -= 1
        if lines[index][1].strip():
            return lines[index][1]
    return ""


def _section(header: _Header, lines: list[Line], *, stop: int, claimed: set[int]) -> Reading | None:
    line_start = lines[header.index][0]
    upwards = header.upwards
    if upwards is None:
        return Reading([], line_start, line_start, "list", cut="the header says both directions")
    rest = (
        _INLINE_NUMBER.sub(", ", header.rest) if re.search(r"\d[.)]", header.rest) else header.rest
    )
    if labels_in(rest) or re.search(r"[A-Z][ \t*_]*(?:>|,|=)", rest):
        sequence = sequence_tiers(rest.strip(), allow_bare=True)
        claimed.add(header.index)
        if sequence is None:
            place = ordinal_link(rest)
            if place is None and header.hard:
                return Reading(
                    [],
                    line_start,
                    line_start,
                    "sequence",
                    cut="the ranking after the header is prose",
                )
            if place is None:
                return None
        else:
            tiers, runs_up = sequence
            return oriented(
                Reading(tiers, line_start, line_start + len(lines[header.index][1]), "sequence"),
                upwards or runs_up,
            )
    index = header.index + 1
    prose = 0
    while index < stop:
        offset, text = lines[index]
        if not text.strip():
            index += 1
            continue
        if text.lstrip().startswith("|"):
            block = take(lines, index, stop, lambda t: t.lstrip().startswith("|"))
            claimed.update(range(index, index + len(block)))
            reading = read_table(block, ordered=True)
            if reading is not None:
                reading.start = line_start
                return oriented(reading, upwards) if reading.kind == "table" else reading
            return _unreadable(header, line_start)
        if item_of(lines[index]) is not None:
            items, after = list_block(lines, index)
            claimed.update(range(index, after))
            reading = read_list(items, allow_bare=True)
            if reading is None:
                return _unreadable(header, line_start)
            reading.start = line_start
            return oriented(reading, upwards) if reading.kind in ("list", "sequence") else reading
        found = labels_in(text)
        plain = strip_markdown(text)
        bare = re.fullmatch(r"[A-Z]", plain)
        if found or bare:
            block = take(lines, index, stop, lambda t: bool(t.strip()))
            claimed.update(range(index, index + len(block)))
            return _plain_lines(block, header, line_start, upwards)
        if not header.hard or prose >= _PROSE_SKIP:
            return None
        stated = direction(text)
        if stated is None:
            return Reading(
                [], line_start, line_start, "list", cut="the header says both directions"
            )
        upwards = upwards or stated
        prose += 1
        index += 1
    # A header with nothing after it ("That is my final ranking:") states no ranking of its own.
    return _unreadable(header, line_start) if prose else None


def _unreadable(header: _Header, start: int) -> Reading | None:
    if not header.hard:
        return None
    return Reading([], start, start, "list", cut="the ranking after the header could not be read")


def _plain_lines(block: list[Line], header: _Header, start: int, upwards: bool) -> Reading | None:
    """Lines each naming one label first ("Response C", "**C** - clearest", "Response A: 2nd")."""
    places = [ordinal_link(text) for _, text in block]
    end = block[-1][0] + len(block[-1][1])
    if all(place is not None for place in places):
        return places_reading([p for p in places if p is not None], start=start, end=end)
    scores = [(labels_in(text), line_score(text)) for _, text in block]
    if len(block) > 1 and all(len(found) == 1 and score is not None for found, score in scores):
        return scores_reading([(f[0], s) for f, s in scores if s is not None], start=start, end=end)
    tiers: list[list[str]] = []
    for _, text in block:
        plain = strip_markdown(text)
        found = labels_in(plain)
        bare = re.match(r"([A-Z])(?![A-Za-z0-9'’])", plain)
        if found and plain.lower().startswith(
            (
                "response",
                "resp",
                "respuesta",
                "réponse",
                "reponse",
                "antwort",
                "resposta",
                "risposta",
            )
        ):
            tiers.append([found[0]])
        elif bare and not found:
            tiers.append([f"Response {bare.group(1)}"])
        else:
            cut = "the ranking after the header is prose" if header.hard else None
            if not tiers:
                return Reading([], start, end, "list", cut=cut) if cut else None
            return oriented(
                Reading(tiers, start, end, "list", cut="the list turns into prose"), upwards
            )
    return oriented(Reading(tiers, start, end, "list"), upwards)
