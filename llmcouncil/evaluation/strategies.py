"""The ways of answering a question that an evaluation compares, behind one protocol.

A strategy turns a question into a ``RunRequest`` for the ordinary run machinery. Names:

=====================  =======================================================================
``council``            the classic three stages (answers → peer review → chairman)
``select``             select-best: answers → peer review → the top-ranked answer verbatim
``self-moa``           one model sampled several times → review → synthesis
``<mode>``             any other deliberation mode by its name (``revise``, …), run as such
``member:<model>``     one model alone (``answers`` mode with it as the only member)
``members``            shorthand: ``member:<m>`` for each member of the preset
``chairman``           the preset's chairman alone
=====================  =======================================================================

A mode is called by name and checked by the run machinery (``resolve_council``), so a mode that
lands later works here without a change; an unknown one is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from llmcouncil.config import Settings
from llmcouncil.council.spec import resolve_council
from llmcouncil.errors import ValidationFailedError
from llmcouncil.evaluation.execution import RunRequest
from llmcouncil.presets.settings import MODES

BASELINE = "council"
DEFAULT_STRATEGIES: tuple[str, ...] = ("council", "select", "self-moa", "members", "chairman")


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    def request(self, question: str, *, title: str) -> RunRequest: ...

    def fingerprint(self) -> str:
        """What makes two outputs of this strategy interchangeable (for ``--reuse``)."""
        ...


@dataclass(frozen=True, slots=True)
class ModeStrategy:
    """The preset's council deliberating in ``mode``."""

    name: str
    mode: str
    preset: str | None
    members: tuple[str, ...]
    chairman: str

    def request(self, question: str, *, title: str) -> RunRequest:
        return RunRequest(
            content=question,
            mode=self.mode,
            members=list(self.members),
            chairman=self.chairman,
            preset=self.preset,
            title=title,
        )

    def fingerprint(self) -> str:
        return _digest({"mode": self.mode, "members": self.members, "chairman": self.chairman})


@dataclass(frozen=True, slots=True)
class SoloStrategy:
    """One model alone: its own answer, no review, no synthesis."""

    name: str
    model: str
    preset: str | None

    def request(self, question: str, *, title: str) -> RunRequest:
        return RunRequest(
            content=question,
            mode="answers",
            members=[self.model],
            chairman=self.model,
            preset=self.preset,
            title=title,
        )

    def fingerprint(self) -> str:
        return _digest({"mode": "answers", "members": [self.model]})


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


def build_strategies(
    settings: Settings, names: list[str], *, preset: str | None = None
) -> list[Strategy]:
    """The strategies ``names`` asks for, the council first; refused as a whole when one is
    unknown or the council it needs cannot be resolved."""
    spec = resolve_council(settings, preset=preset)
    wanted = [BASELINE, *[n.strip() for n in names if n.strip() and n.strip() != BASELINE]]
    chosen: dict[str, Strategy] = {}
    problems: list[str] = []
    for name in wanted:
        for strategy in _expand(name, spec.members, spec.chairman, preset=spec.preset):
            if strategy is None:
                problems.append(f"unknown strategy {name!r}")
            else:
                chosen.setdefault(strategy.name, strategy)
    for strategy in chosen.values():
        request = strategy.request("probe", title="probe")
        try:
            resolve_council(
                settings,
                preset=request.preset,
                members=request.members,
                chairman=request.chairman,
                mode=request.mode,
            )
        except ValidationFailedError as exc:
            problems.append(f"strategy {strategy.name!r}: {exc.message}")
    if problems:
        known = ", ".join([*MODES, "council", "member:<model>", "members", "chairman"])
        raise ValidationFailedError("; ".join(problems) + f" (known: {known})")
    return list(chosen.values())


def _expand(
    name: str, members: list[str], chairman: str, *, preset: str | None
) -> list[Strategy | None]:
    council = tuple(members)
    if name == "council":
        return [ModeStrategy("council", "classic", preset, council, chairman)]
    if name == "members":
        return [SoloStrategy(f"member:{m}", m, preset) for m in members]
    if name == "chairman":
        return [SoloStrategy("chairman", chairman, preset)]
    if name.startswith("member:") and name.removeprefix("member:").strip():
        model = name.removeprefix("member:").strip()
        return [SoloStrategy(f"member:{model}", model, preset)]
    if name in ("classic", "answers"):
        return [None]  # classic is "council"; side by side is not one answer
    if name in MODES or _looks_like_mode(name):
        # Called by name: the run machinery accepts or refuses it (see build_strategies).
        return [ModeStrategy(name, name, preset, council, chairman)]
    return [None]


def _looks_like_mode(name: str) -> bool:
    return name.replace("-", "").replace("_", "").isalnum() and ":" not in name
