"""How long a council can take at worst, worked out from the settings (docs/OPERATIONS.md).

Every bound here is one the policy layer enforces, not an estimate:

- a council waits for a run slot at most ``capacity.max_queue_wait``, then gets 429;
- a candidate (a model or one of its fallbacks) has one deadline for all its attempts, their
  backoffs and Retry-After waits: its ``total_timeout``; a call tries its candidates in turn;
- stages 1 and 2 wait for their slowest call when no quorum answers (every member hung), so
  each is bounded by its slowest call;
- the chairman's call has one deadline for all its candidates (``resilience.chairman.total``);
- the title runs beside the stages and holds the run at most ``title_grace`` after stage 3.

A test checks the table in docs/OPERATIONS.md against ``worst_case_council(Settings())``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llmcouncil.config import Settings
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
    settings: Settings, *, preset: str | None = None, title_grace: float
) -> CouncilBound:
    """``title_grace``: how long a run waits for its title after stage 3 (the pipeline's)."""
    policies = PolicyBook(settings)
    name = preset or settings.default_preset
    spec = settings.presets[name]
    chains = [[m, *spec.fallbacks.get(m, [])] for m in spec.members]
    members = max(call_bound(policies, preset=name, candidates=c) for c in chains)
    longest = max(len(c) for c in chains)
    chairman_chain = [spec.chairman, *spec.chairman_fallbacks]
    chairman = call_bound(policies, preset=name, candidates=chairman_chain)
    deadline = policies.chairman_deadline(name)
    why_chairman = f"{len(chairman_chain)} candidate(s), each to its total timeout"
    if deadline is not None and deadline.total < chairman:
        chairman = deadline.total
        why_chairman = "the deadline of the chairman's whole call"
    per_candidate = (
        f"{longest} candidate(s) in turn, each to its total timeout (a hung one: its "
        "first-token timeout per attempt, within the same total)"
    )
    return CouncilBound(
        stages=(
            StageBound(
                "waiting for a run slot",
                settings.resilience.capacity.max_queue_wait,
                "then 429",
            ),
            StageBound("stage 1, answers", members, f"no member finishes: {per_candidate}"),
            StageBound("stage 2, reviews", members, f"no reviewer finishes: {per_candidate}"),
            StageBound("stage 3, chairman", chairman, why_chairman),
            StageBound("title", title_grace, "runs beside the stages; waited for after stage 3"),
        )
    )
