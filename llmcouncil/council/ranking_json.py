"""Rankings stated as JSON (structured output, or a JSON object written into the text).

Every object with a ``ranking`` (or ``final_ranking``, ``rankings``) key is a reading at the place
it starts, so a JSON object followed by a corrected one, or by a corrected text ranking, loses to
what came after it. A ranking array cut off mid-way is read up to the cut.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.council.ranking_reading import Reading, labels_in, sequence_tiers
from llmcouncil.council.ranking_vocab import FORWARD, ORDINAL, REVERSED, ordinal_value

_KEYS = ("final_ranking", "finalranking", "ranking", "rankings", "overall_ranking")
_SCORE_KEY = re.compile(r"(?:final_|overall_)?(?:scores?|ratings?)", re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",(?=[ \t\n]*[\]}])")
_MAX_OBJECT = 200_000
_OBJECT_START = re.compile(
    r"^[ \t]*(?:```[ \t]*(?:json)?[ \t]*)?\{|(?<=[:.!] )\{", re.MULTILINE | re.IGNORECASE
)
_BROKEN = re.compile(r"\"(?:final_)?rankings?\"[ \t\n]*:[ \t\n]*\[([^\]]*)$", re.IGNORECASE)
_STRING = re.compile(r"\"((?:[^\"\\\n]|\\.){0,200})\"")
_BARE_ENTRY = re.compile(r"[\s*_`\"'(\[]*([A-Za-z])[\s*_`\"')\].:]*")
_MAX_ATTEMPTS = 20


@dataclass
class JsonScan:
    readings: list[Reading] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # where JSON objects stand
    reasoning: str | None = None
    unusable_reasoning: str | None = None  # reasoning of an object whose ranking was unusable
    attempted: bool = False


def scan_json(text: str) -> JsonScan:
    scan = JsonScan()
    if "{" not in text and "ranking" not in text.lower():
        return scan  # neither an object nor a cut-off ranking array: nothing to try
    decoder = json.JSONDecoder(strict=False)
    attempts = 0
    position = 0
    while attempts < _MAX_ATTEMPTS and (start := _object_start(text, position)) >= 0:
        attempts += 1
        decoded = _decode(decoder, text, start)
        if decoded is None:
            position = start + 1
            continue
        data, end = decoded
        position = end
        if not isinstance(data, dict):
            continue
        scan.spans.append((start, end))
        holder = _ranking_key(data)
        if holder is None:
            scores = _scores(data, start=start, end=end)
            if scores is not None:
                scan.attempted = True
                scan.readings.append(scores)
            continue
        owner, key = holder
        scan.attempted = True
        reasoning = owner.get("reasoning", data.get("reasoning"))
        reasoning = reasoning if isinstance(reasoning, str) else None
        reading = _reading(owner[key], start=start, end=end)
        if reading is None:
            scan.unusable_reasoning = reasoning
            continue
        _orient(reading, owner, key)
        scan.reasoning = reasoning
        scan.readings.append(reading)
    if not scan.readings:
        broken = _BROKEN.search(text[-20_000:])
        if broken:
            scan.attempted = True
            entries = [m.group(1) for m in _STRING.finditer(broken.group(1))]
            tiers = [[label] for label in map(_entry_label, entries) if label is not None]
            if tiers:
                at = len(text) - 20_000 + broken.start() if len(text) > 20_000 else broken.start()
                scan.readings.append(
                    Reading(tiers, at, len(text), "json", cut="the JSON ranking is cut off")
                )
    return scan


_AFTER_PUNCTUATION = re.compile(r"[:.!] \{")
_FENCE_OPENING = re.compile(r"[ \t]*(?:```[ \t]*(?:json)?[ \t]*)?", re.IGNORECASE)


def _object_start(text: str, position: int) -> int:
    """Where ``_OBJECT_START`` would find the next object from ``position``: a brace after ": ",
    ". " or "! ", or the first brace of a line (after a fence opening) that starts at or after
    ``position`` (``^`` does not match before where a search starts). Found line by line among
    the lines holding a brace, not by trying the pattern at every character."""
    after = _AFTER_PUNCTUATION.search(text, max(0, position - 2))
    limit = after.end() - 1 if after else len(text)
    if position == 0 or text[position - 1] == "\n":
        line_start = position
    else:
        newline = text.find("\n", position)
        line_start = newline + 1 if newline >= 0 else len(text)
    while line_start < limit:
        brace = text.find("{", line_start, limit)
        if brace < 0:
            break
        line_start = text.rfind("\n", line_start, brace) + 1 or line_start
        if _FENCE_OPENING.fullmatch(text, line_start, brace):
            return brace
        newline = text.find("\n", brace)
        if newline < 0:
            break
        line_start = newline + 1
    return after.end() - 1 if after else -1


def _decode(decoder: json.JSONDecoder, text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value at ``start``, forgiving trailing commas ("[…, "Response B",]")."""
    try:
        return decoder.raw_decode(text, start)
    except (ValueError, RecursionError):
        pass
    window = text[start : start + _MAX_OBJECT]
    if _TRAILING_COMMA.search(window) is None:
        return None
    try:
        data, end = decoder.raw_decode(_TRAILING_COMMA.sub(" ", window))
    except (ValueError, RecursionError):
        return None
    return data, start + end


def _ranking_key(data: dict[str, Any], depth: int = 0) -> tuple[dict[str, Any], str] | None:
    """The object holding the ranking and its key: the top level first, then nested objects
    ({"review": {"final_ranking": […]}}); a final ranking before a plain one."""
    keys = {k.lower().replace("-", "_"): k for k in data if isinstance(k, str)}
    for name in _KEYS:
        if name in keys:
            return data, keys[name]
    if depth >= 3:
        return None
    for value in data.values():
        if isinstance(value, dict):
            found = _ranking_key(value, depth + 1)
            if found is not None:
                return found
    return None


def _orient(reading: Reading, owner: dict[str, Any], key: str) -> None:
    """Reverse a ranking the object says runs worst to best ("order": "worst_to_best")."""
    said = [key, *(f"{k} {v}" for k, v in owner.items() if isinstance(v, str) and len(v) < 60)]
    text = " ".join(said).replace("_", " ")
    upwards, downwards = bool(REVERSED.search(text)), bool(FORWARD.search(text))
    if upwards and downwards:
        reading.tiers, reading.cut = [], "the JSON ranking says both directions"
    elif upwards:
        reading.tiers.reverse()
        reading.top_k = False
        reading.notes.append("the JSON ranking runs worst to best")


def _scores(data: dict[str, Any], *, start: int, end: int) -> Reading | None:
    """{"scores": {"Response A": 7, …}} with no ranking: each label's one score."""
    for key, value in data.items():
        if not isinstance(key, str) or not _SCORE_KEY.fullmatch(key) or not isinstance(value, dict):
            continue
        scores: list[tuple[str, float]] = []
        for name, score in value.items():
            label = _entry_label(name) if isinstance(name, str) else None
            if label is None or isinstance(score, bool) or not isinstance(score, int | float):
                return None
            scores.append((label, float(score)))
        if len(scores) < 2:
            return None
        by_score: dict[float, list[str]] = {}
        for label, score in scores:
            by_score.setdefault(score, []).append(label)
        tiers = [by_score[score] for score in sorted(by_score, reverse=True)]
        reading = Reading(tiers, start, end, "scores", top_k=False)
        reading.notes.append("read from the JSON scores; no ranking was given")
        return reading
    return None


def _entry_label(entry: str) -> str | None:
    found = labels_in(entry)
    if found:
        return found[0]
    bare = _BARE_ENTRY.fullmatch(entry)
    return f"Response {bare.group(1).upper()}" if bare else None


def _reading(value: Any, *, start: int, end: int) -> Reading | None:
    if isinstance(value, str):
        sequence = sequence_tiers(value.strip(), allow_bare=True)
        if sequence is None:
            return None
        written, upwards = sequence
        ordered = written[::-1] if upwards else written
        reading = Reading(ordered, start, end, "json", top_k=not upwards)
        reading.notes.append("JSON ranking is a string, not a list")
        return reading
    if isinstance(value, dict):
        return _mapping(value, start=start, end=end)
    if not isinstance(value, list) or not value:
        return None
    tiers: list[list[str]] = []
    places: list[tuple[str, float | None]] = []
    scores: list[float | None] = []
    for entry in value:
        if isinstance(entry, list) and all(isinstance(e, str) for e in entry):
            tier = [label for label in map(_entry_label, entry) if label is not None]
            if len(tier) != len(entry) or not tier:
                return Reading(tiers, start, end, "json", cut="a JSON ranking entry is not a label")
            tiers.append(tier)
        elif isinstance(entry, str):
            label = _entry_label(entry)
            if label is None:
                cut = f"JSON ranking entry {entry[:40]!r} is not a label"
                return Reading(tiers, start, end, "json", cut=cut)
            tiers.append([label])
        elif isinstance(entry, dict):
            pair = _object_entry(entry)
            if pair is None:
                return Reading([], start, end, "json", cut="a JSON ranking entry is unreadable")
            places.append(pair)
            scores.append(_object_score(entry))
        else:
            cut = f"JSON ranking entry of type {type(entry).__name__} is not a label"
            return Reading(tiers, start, end, "json", cut=cut)
    if places:
        if tiers:
            return Reading([], start, end, "json", cut="JSON ranking mixes labels and objects")
        ranked = [(label, place) for label, place in places if place is not None]
        if len(ranked) == len(places):
            return _by_number(ranked, start=start, end=end)
        if ranked:
            return Reading([], start, end, "json", cut="some JSON ranking entries have no rank")
        # Objects without a rank are in ranking order; scores given with them must agree.
        given = [score for score in scores if score is not None]
        if given and (len(given) != len(scores) or given != sorted(given, reverse=True)):
            cut = "the JSON ranking's order and its scores disagree"
            return Reading([], start, end, "json", cut=cut)
        return Reading([[label] for label, _ in places], start, end, "json")
    return Reading(tiers, start, end, "json")


def _object_entry(entry: dict[str, Any]) -> tuple[str, float | None] | None:
    """(label, rank or None when the object gives none), None when unreadable."""
    label = None
    for key in ("label", "response", "id", "name", "answer"):
        if isinstance(entry.get(key), str):
            label = _entry_label(entry[key])
            break
    rank = entry.get("rank", entry.get("position", entry.get("place")))
    if label is None:
        return None
    if rank is None:
        return label, None
    if isinstance(rank, bool) or not isinstance(rank, int | float):
        return None
    return label, float(rank)


def _object_score(entry: dict[str, Any]) -> float | None:
    score = entry.get("score", entry.get("rating"))
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


def _by_number(places: list[tuple[str, float]], *, start: int, end: int) -> Reading:
    by_place: dict[float, list[str]] = {}
    for label, place in places:
        by_place.setdefault(place, []).append(label)
    tiers: list[list[str]] = []
    for place in sorted(by_place):
        if place != len([label for tier in tiers for label in tier]) + 1:
            return Reading(tiers, start, end, "json", cut=f"no response is placed {place - 1:g}")
        tiers.append(by_place[place])
    return Reading(tiers, start, end, "json")


def _mapping(value: dict[str, Any], *, start: int, end: int) -> Reading | None:
    """{"Response A": 2, "Response B": 1}: ranks only when the numbers are places 1, 2, ..."""
    by_word = _ordinal_keys(value)
    if by_word is not None:
        return _by_number(by_word, start=start, end=end)
    places = []
    for key, place in value.items():
        label = _entry_label(key)
        if label is None or isinstance(place, bool) or not isinstance(place, int):
            return Reading([], start, end, "json", cut="the JSON ranking object is unreadable")
        places.append((label, float(place)))
    if not places:
        return None
    if min(p for _, p in places) != 1:
        return Reading([], start, end, "json", cut="the JSON ranking gives scores, not places")
    return _by_number(places, start=start, end=end)


def _ordinal_keys(value: dict[str, Any]) -> list[tuple[str, float]] | None:
    """{"first": "Response C", "second": "Response A"}, {"1": "C", "2": "A"}."""
    places: list[tuple[str, float]] = []
    for key, entry in value.items():
        place = ORDINAL.fullmatch(key.strip()) if isinstance(key, str) else None
        number = int(key) if isinstance(key, str) and key.strip().isdigit() else None
        label = _entry_label(entry) if isinstance(entry, str) else None
        if label is None or (place is None and number is None):
            return None
        value_of = number if number is not None or place is None else ordinal_value(place)
        places.append((label, float(value_of or 0)))
    return places or None
