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

_KEYS = ("ranking", "final_ranking", "rankings", "finalranking")
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
    decoder = json.JSONDecoder(strict=False)
    attempts = 0
    position = 0
    while attempts < _MAX_ATTEMPTS and (found := _OBJECT_START.search(text, position)):
        start = text.index("{", found.start())
        attempts += 1
        try:
            data, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            position = start + 1
            continue
        position = end
        if not isinstance(data, dict):
            continue
        key = next((k for k in data if isinstance(k, str) and k.lower() in _KEYS), None)
        scan.spans.append((start, end))
        if key is None:
            continue
        scan.attempted = True
        reasoning = data.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) else None
        reading = _reading(data[key], start=start, end=end)
        if reading is None:
            scan.unusable_reasoning = reasoning
            continue
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
    places: list[tuple[str, float]] = []
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
        else:
            cut = f"JSON ranking entry of type {type(entry).__name__} is not a label"
            return Reading(tiers, start, end, "json", cut=cut)
    if places:
        if tiers:
            return Reading([], start, end, "json", cut="JSON ranking mixes labels and objects")
        if all(p is not None for _, p in places) and len({p for _, p in places}) > 0:
            return _by_number([(label, place) for label, place in places], start=start, end=end)
    return Reading(tiers, start, end, "json")


def _object_entry(entry: dict[str, Any]) -> tuple[str, float] | None:
    label = None
    for key in ("label", "response", "id", "name", "answer"):
        if isinstance(entry.get(key), str):
            label = _entry_label(entry[key])
            break
    rank = entry.get("rank", entry.get("position", entry.get("place")))
    if label is None or isinstance(rank, bool) or not isinstance(rank, int | float):
        return None
    return label, float(rank)


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
