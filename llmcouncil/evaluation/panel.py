"""The judges' panel: configurable, by default up to three models of different families.

A panel of judges from different families (as in the PoLL "jury" work) shares fewer blind spots
and less self-preference than one judge. By default it is drawn from the preset's chairman and
members, one model per family (the part of the id before "/", or its first word), so a
council of four vendors yields three judges of three vendors.
"""

from __future__ import annotations

import re

from llmcouncil.config import Settings
from llmcouncil.council.spec import resolve_council
from llmcouncil.errors import ValidationFailedError

DEFAULT_PANEL_SIZE = 3
MAX_JUDGES = 8


def family(model: str) -> str:
    head = model.split("/", 1)[0] if "/" in model else re.split(r"[-_:.\d]", model, maxsplit=1)[0]
    return head.lower() or model.lower()


def default_judges(settings: Settings, *, preset: str | None = None) -> list[str]:
    spec = resolve_council(settings, preset=preset)
    candidates = list(dict.fromkeys([spec.chairman, *spec.members]))
    picked: list[str] = []
    seen: set[str] = set()
    for model in candidates:
        if family(model) not in seen:
            seen.add(family(model))
            picked.append(model)
    for model in candidates:  # one family only: still a panel, of distinct models
        if len(picked) >= DEFAULT_PANEL_SIZE:
            break
        if model not in picked:
            picked.append(model)
    return picked[:DEFAULT_PANEL_SIZE]


def check_judges(settings: Settings, judges: list[str], *, preset: str | None = None) -> list[str]:
    """``judges`` as given (the default panel when empty), each checked as a lone council."""
    chosen = list(dict.fromkeys(j.strip() for j in judges if j.strip()))
    if not chosen:
        return default_judges(settings, preset=preset)
    if len(chosen) > MAX_JUDGES:
        raise ValidationFailedError(f"{len(chosen)} judges; at most {MAX_JUDGES}")
    problems: list[str] = []
    for judge in chosen:
        try:
            resolve_council(
                settings, preset=preset, members=[judge], chairman=judge, mode="answers"
            )
        except ValidationFailedError as exc:
            problems.append(f"judge {judge!r}: {exc.message}")
    if problems:
        raise ValidationFailedError("; ".join(problems))
    return chosen
