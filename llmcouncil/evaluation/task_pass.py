"""One pass over an evaluation (a fresh start or a resume): each question's answers, then its
judgements, every call a task row.

Per question, the strategies' answers are asked first; once they are in, each other strategy's
answer is compared with the baseline's — by exact or numeric match where the dataset says so,
else by every judge in both orders. Calls are bounded by one semaphore (``concurrency``) shared
by answers and judgements; each task row is written when its run starts and again when it ends,
so a later pass skips finished tasks and collects a started run's result (retrying it from its
last stored stage when it did not finish) before it starts anything new.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from llmcouncil.council.runs import RunHandle
from llmcouncil.errors import (
    BudgetExceededError,
    CouncilError,
    OverloadedError,
    PermissionDeniedError,
)
from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.evaluation.execution import RunOutcome, RunRequest
from llmcouncil.evaluation.judging import judge_prompt, read_verdict
from llmcouncil.evaluation.report import build_report
from llmcouncil.evaluation.repository import Evaluation, Task
from llmcouncil.evaluation.strategies import Strategy, build_strategies

if TYPE_CHECKING:
    from llmcouncil.evaluation.harness import EvaluationHarness

T = TypeVar("T")
ORDERS = ("ab", "ba")
# Errors that end the whole evaluation: every later call would meet them too.
FATAL = (BudgetExceededError, PermissionDeniedError)


@dataclass(slots=True)
class Progress:
    done: int = 0
    total: int = 0
    failed: int = 0
    reused: int = 0
    started_at: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "total": self.total,
            "failed": self.failed,
            "reused": self.reused,
        }


ProgressListener = Callable[[Progress], None]


class EvaluationInterrupted(Exception):
    """A run of the evaluation was cancelled under it (the server is stopping)."""


class EvaluationPass:
    """One pass over an evaluation: every task not yet done, then the report."""

    def __init__(
        self, harness: EvaluationHarness, evaluation: Evaluation, listener: ProgressListener | None
    ) -> None:
        self.h = harness
        self.evaluation = evaluation
        self.listener = listener
        self.items = [EvalItem.from_dict(item) for item in evaluation.items]
        self.strategies = build_strategies(
            harness.settings, evaluation.strategies, preset=evaluation.preset
        )
        self.baseline = self.strategies[0]
        self.others = self.strategies[1:]
        self.judges = list(evaluation.judges)
        self.reuse = bool(evaluation.options.get("reuse"))
        self.slots = asyncio.Semaphore(int(evaluation.options.get("concurrency", 4)))
        self.tasks: dict[str, Task] = {}
        self.progress = Progress()
        self.judge_calls: list[RunOutcome] = []

    async def execute(self) -> dict[str, Any]:
        self.tasks = await self.h.evaluations.tasks(self.evaluation.id)
        self.progress.total = planned_calls(self.evaluation)
        self._tell()
        results = await _all([self._question(i) for i in range(len(self.items))])
        answers = {i: r[0] for i, r in enumerate(results)}
        verdicts = {i: r[1] for i, r in enumerate(results)}
        return build_report(
            evaluation=self.evaluation,
            items=self.items,
            strategies=[s.name for s in self.strategies],
            judges=self.judges,
            answers=answers,
            verdicts=verdicts,
            judge_calls=self.judge_calls,
        )

    async def _question(
        self, index: int
    ) -> tuple[dict[str, RunOutcome], dict[tuple[str, str, str], str | None]]:
        item = self.items[index]
        outcomes = await _all([self._answer(index, s) for s in self.strategies])
        answers = {s.name: o for s, o in zip(self.strategies, outcomes, strict=True)}
        verdicts: dict[tuple[str, str, str], str | None] = {}
        if item.match != "judge":
            return answers, verdicts
        base = answers[self.baseline.name]
        jobs: list[tuple[str, str, str]] = []
        for other in self.others:
            for judge in self.judges:
                jobs += [(other.name, judge, order) for order in ORDERS]
        read = await _all(
            [
                self._judge(index, item, base, answers[name], other=name, judge=judge, order=order)
                for name, judge, order in jobs
            ]
        )
        verdicts = dict(zip(jobs, read, strict=True))
        return answers, verdicts

    async def _answer(self, index: int, strategy: Strategy) -> RunOutcome:
        key = f"answer:{index}:{strategy.name}"
        item = self.items[index]
        fingerprint = _fingerprint(strategy.fingerprint(), item.question)
        request = strategy.request(
            item.question, title=f"Evaluation {self.evaluation.name}: #{index + 1} {strategy.name}"
        )
        known = self.tasks.get(key)
        if known is not None and known.status == "done" and known.result is not None:
            return self._counted(RunOutcome.from_dict(known.result))
        if known is None and self.reuse:
            cached = await self.h.evaluations.reusable(fingerprint, user_id=self.evaluation.user_id)
            if cached is not None:
                outcome = RunOutcome.from_dict(cached)
                await self.h.evaluations.finished(
                    self.evaluation.id,
                    key=key,
                    kind="answer",
                    ok=True,
                    result={**outcome.as_dict(), "reused": True},
                    fingerprint=fingerprint,
                )
                self.progress.reused += 1
                return self._counted(outcome)
        outcome = await self._call(key, "answer", request, known=known, fingerprint=fingerprint)
        return self._counted(outcome)

    async def _judge(
        self,
        index: int,
        item: EvalItem,
        base: RunOutcome,
        other_answer: RunOutcome,
        *,
        other: str,
        judge: str,
        order: str,
    ) -> str | None:
        key = f"judge:{index}:{other}:{judge}:{order}"
        known = self.tasks.get(key)
        if known is not None and known.status in ("done", "failed") and known.result:
            self.judge_calls.append(self._counted(RunOutcome.from_dict(known.result)))
            return known.result.get("verdict")
        if not (base.ok and other_answer.ok):
            self._counted(RunOutcome(ok=False))
            return None  # nothing to judge: the report scores a failed answer itself
        first, second = (base, other_answer) if order == "ab" else (other_answer, base)
        seed = int(hashlib.sha256(f"{self.evaluation.id}\0{key}".encode()).hexdigest()[:12], 16)
        request = RunRequest(
            content=judge_prompt(item=item, first=first.text, second=second.text, seed=seed),
            mode="answers",
            members=[judge],
            chairman=judge,
            preset=self.evaluation.preset,
            title=f"Evaluation {self.evaluation.name}: #{index + 1} judged by {judge}",
        )
        outcome = await self._call(key, "judge", request, known=known, fingerprint=None)
        self.judge_calls.append(self._counted(outcome))
        return read_verdict(outcome.text) if outcome.ok else None

    async def _call(
        self,
        key: str,
        kind: str,
        request: RunRequest,
        *,
        known: Task | None,
        fingerprint: str | None,
    ) -> RunOutcome:
        evaluation_id = self.evaluation.id
        async with self.slots:
            outcome: RunOutcome | None = None
            try:
                outcome = await self._resumed(known)
                if outcome is None:
                    began = time.monotonic()
                    handle = await _whole(self._launch(key, kind, request, fingerprint))
                    outcome = await self.h.executor.finish(handle, mode=request.mode, started=began)
            except FATAL:
                raise
            except OverloadedError as exc:  # still refused after its waits: pause, not a loss
                raise EvaluationInterrupted(f"paused: {exc.message}; resume it later") from exc
            except CouncilError as exc:  # this question only (a refused question)
                outcome = RunOutcome(ok=False, error=exc.message)
        if outcome.interrupted:
            raise EvaluationInterrupted(f"the run of {key} was cancelled")
        result = outcome.as_dict()
        if kind == "judge":
            result["verdict"] = read_verdict(outcome.text) if outcome.ok else None
        await self.h.evaluations.finished(
            evaluation_id,
            key=key,
            kind=kind,
            ok=outcome.ok,
            result=result,
            fingerprint=fingerprint if outcome.ok else None,
        )
        return outcome

    async def _launch(
        self, key: str, kind: str, request: RunRequest, fingerprint: str | None
    ) -> RunHandle:
        """A conversation and its run, each recorded in the task's row as soon as it exists."""
        conversation_id = await self.h.executor.open(request)
        await self.h.evaluations.started(
            self.evaluation.id,
            key=key,
            kind=kind,
            run_id=None,
            conversation_id=conversation_id,
            fingerprint=fingerprint,
        )
        handle = await self.h.executor.start(request, conversation_id=conversation_id)
        await self.h.evaluations.started(
            self.evaluation.id,
            key=key,
            kind=kind,
            run_id=handle.run_id,
            conversation_id=conversation_id,
            fingerprint=fingerprint,
        )
        return handle

    async def _resumed(self, known: Task | None) -> RunOutcome | None:
        """A task started before an interruption: its run's result, without a new call."""
        if known is None or known.conversation_id is None:
            return None
        run_id = known.run_id or await self.h.executor.latest_run(known.conversation_id)
        if run_id is None:
            return None
        return await self.h.executor.resume(run_id, conversation_id=known.conversation_id)

    def _counted(self, outcome: RunOutcome) -> RunOutcome:
        self.progress.done += 1
        self.progress.failed += not outcome.ok
        self._tell()
        return outcome

    def _tell(self) -> None:
        if self.listener is not None:
            self.listener(self.progress)


async def _whole(work: Coroutine[Any, Any, T]) -> T:
    """``work`` run to its end even when the caller is cancelled meanwhile (then the
    cancellation follows): a cancellation (Ctrl-C) never leaves a conversation or a run that
    its task row does not name, so a resume finds every one, and nothing is left running
    after the evaluation has stopped."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what the caller sees
        raise


async def _all(work: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every coroutine's result in order; the first failure cancels the rest and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one) for one in work]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def planned_calls(evaluation: Evaluation) -> int:
    """Every task of an evaluation: each strategy's answers, each judge's two readings."""
    items = evaluation.items
    judged = sum(1 for item in items if item.get("match", "judge") == "judge")
    strategies = len(evaluation.strategies)
    return len(items) * strategies + judged * (strategies - 1) * len(evaluation.judges) * 2


def _fingerprint(strategy: str, question: str) -> str:
    return hashlib.sha256(f"{strategy}\0{question}".encode()).hexdigest()[:64]
