"""How long a council can take at worst, worked out from the settings (docs/OPERATIONS.md).

Every bound here is one the policy layer enforces, not an estimate:

- a council waits for a run slot at most ``capacity.max_queue_wait``, then gets 429;
- a candidate (a model or one of its fallbacks) has one deadline for all its attempts, their
  backoffs and Retry-After waits: its ``total_timeout``; a call tries its candidates in turn;
- stages 1 and 2 wait for their slowest call when no quorum answers (every member hung), so
  each is bounded by its slowest call; so is each revision round of mode ``revise`` (the
  members revise, each with its fallbacks), of which a run has at most
  ``MAX_REVISION_ROUNDS``; self-moa's samples are calls of one model (and its fallbacks);
- the chairman's call has one deadline for all its candidates (``resilience.chairman.total``);
- the title runs beside the stages and holds the run at most ``title_grace`` after the last.

Each mode runs some of these parts (``council/modes.py``): ``select`` has no chairman,
``answers`` neither review nor chairman. A test checks the tables in docs/OPERATIONS.md against
``worst_case_council`` and ``mode_table`` on the default settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.presets.settings import MAX_REVISION_ROUNDS, MODES, PresetSettings
from llmcouncil.resilience.policy import PolicyBook


@dataclass(frozen=True, slots=True)
class StageBound:
    stage: str
    seconds: float
    why: str


@dataclass(frozen=True, slots=True)
class CouncilBound:
    stages: tuple[StageBound, ...]

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    def table(self) -> str:
        """The Markdown table docs/OPERATIONS.md shows."""
        rows = ["| part | at most | because |", "|---|---|---|"]
        rows += [f"| {s.stage} | {s.seconds:g} s | {s.why} |" for s in self.stages]
        rows.append(f"| **council** | **{self.seconds:g} s** | the sum |")
        return "\n".join(rows)


def call_bound(policies: PolicyBook, *, preset: str | None, candidates: Sequence[str]) -> float:
    """A call without a deadline of its own: each candidate in turn, each to its total."""
    return sum(policies.call(preset=preset, model=m).total_timeout for m in candidates)


def worst_case_council(
    settings: Settings,
    *,
    preset: str | None = None,
    mode: str | None = None,
    rounds: int | None = None,
    title_grace: float,
) -> CouncilBound:
    """The longest a council of ``preset`` takes in ``mode`` (default: the preset's), with
    ``rounds`` revision rounds in mode revise (default: the preset's; a question may ask for up
    to ``MAX_REVISION_ROUNDS``). ``title_grace``: how long a run waits for its title after its
    last stage (the pipeline's)."""
    policies = PolicyBook(settings)
    name = preset or settings.default_preset
    spec = settings.presets[name]
    mode = mode or spec.mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    members = _members_bound(policies, preset=name, spec=spec, models=spec.members)
    sampled = _members_bound(
        policies, preset=name, spec=spec, models=[spec.sample_model or spec.members[0]]
    )
    parts = [
        StageBound(
            "waiting for a run slot", settings.resilience.capacity.max_queue_wait, "then 429"
        ),
    ]
    if mode == "self-moa":
        parts.append(StageBound(f"stage 1, {spec.samples} samples", sampled.seconds, sampled.why))
    else:
        parts.append(
            StageBound("stage 1, answers", members.seconds, f"no member finishes: {members.why}")
        )
    if mode == "revise":
        count = rounds or spec.revision_rounds
        parts += [
            StageBound(f"revision round {n}", members.seconds, f"no member finishes: {members.why}")
            for n in range(1, count + 1)
        ]
    if mode != "answers":
        reviewers = sampled if mode == "self-moa" and spec.sample_reviewers == "same" else members
        parts.append(
            StageBound(
                "stage 2, reviews", reviewers.seconds, f"no reviewer finishes: {reviewers.why}"
            )
        )
    if mode not in ("answers", "select"):
        parts.append(_chairman_bound(policies, preset=name, spec=spec))
    parts.append(
        StageBound("title", title_grace, "runs beside the stages; waited for after the last one")
    )
    return CouncilBound(stages=tuple(parts))


def mode_table(settings: Settings, *, preset: str | None = None, title_grace: float) -> str:
    """The Markdown table of docs/OPERATIONS.md: each mode at its worst, part by part (revise
    for each number of rounds a question may ask for)."""
    columns = ("waiting", "stage 1", "revision", "stage 2", "stage 3", "title")
    rows = [
        "| mode | slot | stage 1 | revision rounds | stage 2 | stage 3 | title | at most |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        counts = range(1, MAX_REVISION_ROUNDS + 1) if mode == "revise" else (None,)
        for rounds in counts:
            bound = worst_case_council(
                settings, preset=preset, mode=mode, rounds=rounds, title_grace=title_grace
            )
            cells = []
            for column in columns:
                seconds = [s.seconds for s in bound.stages if s.stage.startswith(column)]
                cells.append(f"{sum(seconds):g} s" if seconds else "—")
            label = mode if rounds is None else f"{mode}, {rounds} round{'s' * (rounds > 1)}"
            rows.append(f"| {label} | {' | '.join(cells)} | **{bound.seconds:g} s** |")
    return "\n".join(rows)


@dataclass(frozen=True, slots=True)
class _Bound:
    seconds: float
    why: str


def _members_bound(
    policies: PolicyBook, *, preset: str, spec: PresetSettings, models: Sequence[str]
) -> _Bound:
    """Calls of ``models`` side by side, each trying its fallbacks in turn: the slowest."""
    chains = [[m, *spec.fallbacks.get(m, [])] for m in models]
    longest = max(len(c) for c in chains)
    return _Bound(
        max(call_bound(policies, preset=preset, candidates=c) for c in chains),
        f"{longest} candidate(s) in turn, each to its total timeout (a hung one: its "
        "first-token timeout per attempt, within the same total)",
    )


def _chairman_bound(policies: PolicyBook, *, preset: str, spec: PresetSettings) -> StageBound:
    chain = [spec.chairman, *spec.chairman_fallbacks]
    chairman = call_bound(policies, preset=preset, candidates=chain)
    why = f"{len(chain)} candidate(s), each to its total timeout"
    deadline = policies.chairman_deadline(preset)
    if deadline is not None and deadline.total < chairman:
        chairman, why = deadline.total, "the deadline of the chairman's whole call"
    return StageBound("stage 3, chairman", chairman, why)
