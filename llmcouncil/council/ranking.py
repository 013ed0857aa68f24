"""Read each reviewer's ranking out of its reply.

Reviewers are language models, so replies drift from the requested format: the header changes
case or gains markdown, labels are bolded or cut down to a letter, the instructions are quoted back
before the real ranking, the reply is cut short. ``parse_ranking`` therefore never raises; it
returns what it could recover with a status and plain-language issues, so callers decide how far to
trust it.

Where a ranking is looked for (the first that yields a label wins):
1. a JSON object with a ``ranking`` list, bare or in a code fence (structured output);
2. the last ``FINAL RANKING`` header with labels after it: the first list there, else the labels
   it mentions in order;
3. no usable header: the ``ranking`` array of broken JSON, the last numbered list naming at least
   two labels, then the order in which labels are first mentioned.

Combining the parsed rankings into a leaderboard is ``aggregation``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALID_LABEL = re.compile(r"Response [A-Z]")

# "Response" in any case, then one letter that does not start a longer word ("Response AB" is not
# A, "Responses" is not S). The letter is matched without IGNORECASE because Unicode case folding
# would let "ſ" or the Kelvin sign stand for a letter.
_LABEL = re.compile(r"(?<!\w)(?i:response)[ \t\u00a0]+([A-Za-z])(?!\w)")
# In free prose "the response a reader wants" is English, so there only a capitalised label counts.
_PROSE_LABEL = re.compile(r"(?<!\w)(?:Response|RESPONSE)[ \t\u00a0]+([A-Z])(?!\w)")
# "FINAL RANKING:" anywhere (any case, markdown around it, "(best first)" before the colon), or
# alone on its line without a colon ("## Final Ranking"). Character classes never sit next to one
# that overlaps them, so a long run of spaces cannot make the match quadratic.
_HEADER = re.compile(
    r"(?<!\w)final[ \t_-]*rankings?[ \t*_]*(?:\([^)\n]{0,80}\)[ \t*_]*)?:"
    r"|^[ \t#*_>]*final[ \t_-]*rankings?[ \t*_]*(?:\([^)\n]{0,80}\)[ \t*_]*)?$",
    re.IGNORECASE | re.MULTILINE,
)
# A list item: "1.", "1)", "1:", "-", "*", "+", "•", optionally bold ("**1.**").
_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)(?:[*_]{1,2})?(?:(?P<number>\d{1,3})[.):](?!\d)|[-*+•](?=[ \t]))"
    r"(?P<body>.*)$",
    re.MULTILINE,
)
# "1. Response C 2. Response A" on one line: break before each number that introduces a label.
_INLINE_NUMBER = re.compile(
    r"(?<=\S)[ \t]+(?=[*_]{0,2}\d{1,2}[.)][ \t]*[*_]*(?i:response)[ \t]+[A-Za-z](?!\w))"
)
# An item that is just a letter ("1. C", "1. **C** - clearest"); capital only, since "1. a" and
# "1. A good answer" are English. Trusted only under a header.
_BARE_ITEM = re.compile(r"[ \t*_`(]*([A-Z])[*_`)]*[ \t]*(?:$|[-–—:.,;(>])")
# A header line continued by letters alone: "FINAL RANKING: C > A > B".
_BARE_SEQUENCE = re.compile(r"[ \t*_]*[A-Z](?:[ \t*_]*(?:,|>|;|→|-+>)[ \t*_]*[A-Z])+[ \t*_.]*")
_BARE_ENTRY = re.compile(r"[\s*_`\"'(\[]*([A-Za-z])[\s*_`\"')\].:]*")
_FENCE = re.compile(r"```[ \t]*(?P<lang>[\w+-]*)[ \t]*\n?(?P<body>.*?)(?:```|\Z)", re.DOTALL)
_BROKEN_JSON_RANKING = re.compile(r"\"(?:final_)?ranking\"\s*:\s*\[([^\]]*)", re.IGNORECASE)
_JSON_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.)*)\"")
_JSON_KEYS = ("ranking", "final_ranking")
# A reply quoting the header many times after its real ranking is not worth quadratic work.
_MAX_HEADERS_TRIED = 20
_MAX_ENTRY_NOTES = 5


class ParseStatus(StrEnum):
    OK = "ok"  # every label, under a FINAL RANKING header or in valid JSON
    PARTIAL = "partial"  # under a header or in JSON, but some labels are missing
    NO_HEADER = "no_header"  # no usable header: recovered from a list or mentions in the text
    FAILED = "failed"  # no label at all


@dataclass(frozen=True)
class ParsedRanking:
    ranking: list[str]  # known labels, best first, each once
    status: ParseStatus
    issues: list[str]
    source: Literal["json", "text"]
    # The JSON reply's "reasoning" field, kept for display; not part of what was parsed.
    reasoning: str | None = field(default=None, compare=False)


def response_labels(n: int) -> list[str]:
    """``["Response A", ...]`` for ``n`` answers; one letter each, so at most 26."""
    if not 1 <= n <= len(_LETTERS):
        raise ValueError(f"a council labels between 1 and 26 answers, not {n}")
    return [f"Response {letter}" for letter in _LETTERS[:n]]


def parse_ranking(text: str, labels: Sequence[str]) -> ParsedRanking:
    """The ranking in a reviewer's reply. Raises only for malformed ``labels``, never for text."""
    known = list(dict.fromkeys(labels))
    bad = [label for label in known if not _VALID_LABEL.fullmatch(label)]
    if bad:
        raise ValueError(f"labels must look like 'Response A', got {bad}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return ParsedRanking([], ParseStatus.FAILED, ["empty reply"], "text")
    reply = _decode_json(text)
    issues = list(reply.issues)
    if reply.entries is not None:
        ranking, more = _clean(reply.entries, known, report_duplicates=True)
        issues.extend(more)
        if ranking:
            return ParsedRanking(
                ranking, _status(ranking, known), issues, "json", reasoning=reply.reasoning
            )
    if reply.attempted:
        issues.append("JSON ranking invalid; parsed the text")
    # The reasoning field holds the prose with real line breaks; the raw JSON escapes them.
    return _parse_text(reply.reasoning or text, known, issues)


def _parse_text(text: str, known: list[str], issues: list[str]) -> ParsedRanking:
    text = _INLINE_NUMBER.sub("\n", text)
    headers = list(_HEADER.finditer(text))
    for header in reversed(headers[-_MAX_HEADERS_TRIED:]):
        found, from_list = _section_labels(text[header.end() :])
        if found:
            ranking, more = _clean(found, known, report_duplicates=from_list)
            return _text_result(ranking, _status(ranking, known), [*issues, *more])
    lead = "FINAL RANKING header has no labels after it" if headers else "no FINAL RANKING header"
    recoveries: list[tuple[list[str], str, bool]] = [
        (_broken_json_labels(text), "the ranking array of the broken JSON", False),
        (_last_numbered_list(text, known), "the last list in the text", True),
        (_prose_mentions(text), "the order in which labels are first mentioned", False),
    ]
    for found, where, from_list in recoveries:
        if found:
            ranking, more = _clean(found, known, report_duplicates=from_list)
            notes = [*issues, f"{lead}; used {where}", *more]
            return _text_result(ranking, ParseStatus.NO_HEADER, notes)
    return _text_result([], ParseStatus.FAILED, [*issues, f"{lead}; no labels found"])


def _status(ranking: list[str], known: list[str]) -> ParseStatus:
    return ParseStatus.OK if len(ranking) == len(known) else ParseStatus.PARTIAL


def _text_result(ranking: list[str], status: ParseStatus, issues: list[str]) -> ParsedRanking:
    # No known label (perhaps only unknown ones) is nothing usable. A note can come from both the
    # JSON and the text fallback; once is enough.
    status = status if ranking else ParseStatus.FAILED
    return ParsedRanking(ranking, status, list(dict.fromkeys(issues)), "text")


def _clean(
    found: Sequence[str], known: Sequence[str], *, report_duplicates: bool
) -> tuple[list[str], list[str]]:
    """Known labels in first-seen order, and what was dropped or is missing."""
    known_set = set(known)
    ranking: list[str] = []
    dropped: dict[str, str] = {}  # one note per label however often it recurs
    for label in found:
        if label not in known_set:
            dropped.setdefault(label, f"unknown label {label} ignored")
        elif label in ranking:
            # A label repeated later is not a second vote; its first position stands.
            if report_duplicates:
                dropped.setdefault(label, f"duplicate {label} ignored")
        else:
            ranking.append(label)
    issues = list(dropped.values())
    if ranking:
        # Missing labels get no invented position: they simply received no rank from this reviewer.
        issues.extend(f"missing {label}" for label in known if label not in ranking)
    return ranking, issues


# --- text shapes -------------------------------------------------------------------------------


@dataclass
class _Item:
    indent: int
    number: int | None  # None for a bullet
    labels: list[str]  # every label the item names, in order; unknown ones included


def _label(letter: str) -> str:
    return f"Response {letter.upper()}"


def _items(text: str, *, allow_bare: bool) -> list[_Item]:
    items = []
    for match in _ITEM.finditer(text):
        body = match.group("body")
        bare = _BARE_ITEM.match(body) if allow_bare else None
        # A leading bare letter wins: "C - clearer than Response A" ranks C, not A.
        if bare:
            labels = [_label(bare.group(1))]
        else:
            labels = [_label(m.group(1)) for m in _LABEL.finditer(body)]
        number = match.group("number")
        indent = len(match.group("indent").expandtabs(4))
        items.append(_Item(indent, int(number) if number else None, labels))
    return items


def _lists(items: list[_Item]) -> list[list[_Item]]:
    """Items grouped into lists. A list ends where its numbering restarts, where numbers give way
    to bullets, or at a shallower item; deeper items under a ranked item are its details."""
    lists: list[list[_Item]] = []
    current: list[_Item] = []
    ranked = False  # whether the current list has named a label yet
    for item in items:
        if current:
            base = current[0]
            if ranked and item.indent >= base.indent + 2:
                continue
            same_level = abs(item.indent - base.indent) < 2
            same_kind = (item.number is None) == (base.number is None)
            last = current[-1].number
            restarts = item.number is not None and last is not None and item.number <= last
            if same_level and same_kind and not restarts:
                current.append(item)
                ranked = ranked or bool(item.labels)
                continue
            lists.append(current)
        current = [item]
        ranked = bool(item.labels)
    if current:
        lists.append(current)
    return [items for items in lists if any(i.labels for i in items)]


def _list_labels(items: list[_Item]) -> list[str]:
    ranked = [item for item in items if item.labels]
    if len(ranked) == 1:
        # One item naming several labels is an inline ranking: "- Response C > Response A".
        return ranked[0].labels
    return [item.labels[0] for item in ranked]


def _section_labels(section: str) -> tuple[list[str], bool]:
    """Labels after a header, and whether they came from a list (so repeats are worth noting)."""
    lists = _lists(_items(section, allow_bare=True))
    if lists:
        return _list_labels(lists[0]), True
    mentions = [_label(m.group(1)) for m in _LABEL.finditer(section)]
    if mentions:
        return mentions, False
    first_line = section.lstrip(" \t").split("\n", 1)[0]
    if _BARE_SEQUENCE.fullmatch(first_line):
        return [_label(letter) for letter in re.findall(r"[A-Z]", first_line)], True
    return [], False


def _last_numbered_list(text: str, known: list[str]) -> list[str]:
    # Without a header a single named label is usually discussion, not a ranking.
    needed = min(2, len(known))
    numbered = [
        _list_labels(items)
        for items in _lists(_items(text, allow_bare=False))
        if items[0].number is not None
    ]
    rankings = [labels for labels in numbered if len(set(labels) & set(known)) >= needed]
    return rankings[-1] if rankings else []


def _prose_mentions(text: str) -> list[str]:
    return [_label(m.group(1)) for m in _PROSE_LABEL.finditer(text)]


def _broken_json_labels(text: str) -> list[str]:
    arrays = list(_BROKEN_JSON_RANKING.finditer(text))
    if not arrays:
        return []
    entries = [m.group(1) for m in _JSON_STRING.finditer(arrays[-1].group(1))]
    return [label for label in map(_label_of_entry, entries) if label is not None]


# --- JSON --------------------------------------------------------------------------------------


@dataclass
class _JsonReply:
    attempted: bool  # the reply meant to be JSON, so falling back to text is worth a note
    entries: list[str] | None = None  # labels from a usable ranking list, not yet checked
    issues: list[str] = field(default_factory=list)
    reasoning: str | None = None


def _decode_json(text: str) -> _JsonReply:
    stripped = text.strip()
    candidates = [stripped] if stripped.startswith("{") else []
    reply = _JsonReply(attempted=bool(candidates) or bool(_BROKEN_JSON_RANKING.search(text)))
    for fence in _FENCE.finditer(text):
        body = fence.group("body").strip()
        if fence.group("lang").lower() == "json" or body.startswith("{"):
            candidates.append(body)
            reply.attempted = True
    brace = text.find("{")
    if brace > 0 or (brace == 0 and not candidates):
        candidates.append(text[brace:])  # "Here is my review: {...}"
    for candidate in candidates:
        data = _load_object(candidate)
        if data is None:
            continue
        key = next((k for k in data if k.lower() in _JSON_KEYS), None)
        if key is None:
            continue
        reply.attempted = True
        reasoning = data.get("reasoning")
        reply.reasoning = reasoning if isinstance(reasoning, str) else None
        entries, reply.issues = _json_entries(data[key])
        if entries:
            reply.entries = entries
            return reply
    return reply


def _load_object(candidate: str) -> dict[str, Any] | None:
    try:
        # raw_decode tolerates text after the object; strict=False tolerates raw line breaks
        # inside strings, which models often write.
        data, _ = json.JSONDecoder(strict=False).raw_decode(candidate)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _json_entries(value: object) -> tuple[list[str], list[str]]:
    if isinstance(value, str):
        # "ranking": "Response C, Response A": a string where a list was asked for.
        return _section_labels(value)[0], ["JSON ranking is a string, not a list"]
    if not isinstance(value, list):
        return [], []
    found: list[str] = []
    ignored: list[str] = []
    for entry in value:
        if not isinstance(entry, str):
            ignored.append(f"JSON ranking entry of type {type(entry).__name__} ignored")
        elif (label := _label_of_entry(entry)) is None:
            ignored.append(f"JSON ranking entry {entry[:40]!r} is not a label; ignored")
        else:
            found.append(label)
    issues = list(dict.fromkeys(ignored))
    if len(issues) > _MAX_ENTRY_NOTES:  # a list of junk should not bury the other issues
        rest = len(issues) - _MAX_ENTRY_NOTES
        issues = [*issues[:_MAX_ENTRY_NOTES], f"{rest} more JSON ranking entries ignored"]
    return found, issues


def _label_of_entry(entry: str) -> str | None:
    match = _LABEL.search(entry) or _BARE_ENTRY.fullmatch(entry)
    return _label(match.group(1)) if match else None
