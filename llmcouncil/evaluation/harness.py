"""Running an evaluation: created from a plan, then run (or resumed) to its report.

``EvaluationHarness.create`` checks a plan as a whole and stores it; ``run`` claims the
evaluation for this instance (never run twice), runs one ``EvaluationPass`` over it
(``task_pass.py``: each question's answers and judgements, every call a task row) and stores the
report, or the status it ended with: ``failed`` (a budget or permission refusal, or an error),
``interrupted`` (cancelled, or paused while the server stays overloaded; resumable).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.runs import RunService
from llmcouncil.errors import CouncilError, ValidationFailedError
from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.evaluation.execution import RunExecutor
from llmcouncil.evaluation.panel import check_judges
from llmcouncil.evaluation.repository import Evaluation, EvaluationDraft, EvaluationStore
from llmcouncil.evaluation.strategies import build_strategies
from llmcouncil.evaluation.task_pass import (
    FATAL,
    EvaluationInterrupted,
    EvaluationPass,
    Progress,
    ProgressListener,
    planned_calls,
)
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import utcnow

__all__ = [
    "EvaluationHarness",
    "EvaluationInterrupted",
    "EvaluationPlan",
    "Progress",
    "ProgressListener",
    "planned_calls",
]

# Conversations an evaluation opens are its own kind: left out of people's lists by default.
SOURCE = "eval"


@dataclass(frozen=True, slots=True)
class EvaluationPlan:
    """What a person asks for: checked as a whole before anything is stored."""

    name: str
    items: list[EvalItem]
    strategies: list[str]
    judges: list[str]
    preset: str | None = None
    concurrency: int = 4
    reuse: bool = False
    seed: int = 0


class EvaluationHarness:
    def __init__(
        self,
        *,
        runs: RunService,
        store: Store,
        evaluations: EvaluationStore,
        settings: Settings,
        actor: RunActor | None,
        simulated: bool,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.runs = runs
        self.evaluations = evaluations
        self.settings = settings
        self.actor = actor
        self.simulated = simulated
        self.executor = RunExecutor(runs=runs, store=store, actor=actor, source=SOURCE, sleep=sleep)

    async def create(self, plan: EvaluationPlan) -> Evaluation:
        if not plan.items:
            raise ValidationFailedError("the dataset holds no questions")
        if not 1 <= plan.concurrency <= 64:
            raise ValidationFailedError("concurrency must be between 1 and 64")
        strategies = build_strategies(self.settings, plan.strategies, preset=plan.preset)
        judges = check_judges(self.settings, plan.judges, preset=plan.preset)
        return await self.evaluations.create(
            EvaluationDraft(
                name=plan.name,
                user_id=self.actor.user_id if self.actor else None,
                preset=plan.preset,
                strategies=[s.name for s in strategies],
                judges=judges,
                items=[item.as_dict() for item in plan.items],
                options={
                    "concurrency": plan.concurrency,
                    "reuse": plan.reuse,
                    "seed": plan.seed,
                    # whose runs these are, for a worker in another process (jobs.py)
                    "actor": asdict(self.actor) if self.actor else None,
                },
                simulated=self.simulated,
                worker_id=self.runs.worker_id,
            )
        )

    async def run(
        self, evaluation_id: str, *, progress: ProgressListener | None = None
    ) -> dict[str, Any]:
        """Run (or resume) the evaluation to its end; the report, also stored with it."""
        evaluation = await self.evaluations.get(evaluation_id)
        if evaluation.status == "complete" and evaluation.report is not None:
            return evaluation.report
        # Refused while another live instance runs it (store/instances.py): never run twice.
        await self.evaluations.claim(
            evaluation_id,
            worker_id=self.runs.worker_id,
            lease=self.settings.instances.lease,
            now=utcnow(),
        )
        try:
            report = await EvaluationPass(self, evaluation, progress).execute()
        except FATAL as exc:
            await self.evaluations.set_status(evaluation_id, "failed", error=exc.message)
            raise
        except asyncio.CancelledError:
            await asyncio.shield(self.evaluations.set_status(evaluation_id, "interrupted"))
            raise
        except EvaluationInterrupted as exc:
            paused = self.evaluations.set_status(evaluation_id, "interrupted", error=str(exc))
            await asyncio.shield(paused)
            raise
        except Exception as exc:
            message = exc.message if isinstance(exc, CouncilError) else repr(exc)
            await asyncio.shield(
                self.evaluations.set_status(evaluation_id, "failed", error=message)
            )
            raise
        await self.evaluations.set_status(evaluation_id, "complete", report=report)
        return report
