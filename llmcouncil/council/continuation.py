"""Finishing an answer the output budget cut (``finish_reason = "length"``).

The same model is shown the question and what it wrote, and asked to go on from where it
stopped. The continuation is stored as a call of its own outside the stages (stage 0, like the
title; details ``continues`` name the stage, model and round it finishes), so nothing stored is
rewritten but the run's final answer, when the cut answer was it, and readers of a stage's calls
(analytics, votes) see the answers as the stage gave them; ``transcript`` joins the pieces for
display. Only a finished run's answers continue.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from llmcouncil.council.spec import CouncilSpec
from llmcouncil.council.synthesis import read_structure
from llmcouncil.errors import ConflictError, NotFoundError, ValidationFailedError
from llmcouncil.providers.base import ChatMessage
from llmcouncil.records import CallRecord, RunStatus, Stage
from llmcouncil.store.repository import Store

if TYPE_CHECKING:
    from llmcouncil.resilience.calls import ModelCaller

CONTINUE_PROMPT = (
    "Your answer above was cut off by the length limit. Continue it exactly where it stopped: "
    "do not repeat anything, do not start over, and do not comment on the interruption."
)


def joined(calls: list[CallRecord]) -> list[CallRecord]:
    """``calls`` with each continuation folded into the call it continues (text appended,
    usage added, the last piece's finish reason), and the continuations themselves left out."""
    pieces = [c for c in calls if c.details.get("continues")]
    if not pieces:
        return calls
    out: list[CallRecord] = []
    for call in calls:
        if call.details.get("continues"):
            continue
        for piece in pieces:
            if _continues(piece, call):
                call = replace(
                    call,
                    text=call.text + piece.text,
                    usage=call.usage + piece.usage,
                    finish_reason=piece.finish_reason,
                    details={**call.details, "continued": True},
                )
        out.append(call)
    return out


def _continues(piece: CallRecord, call: CallRecord) -> bool:
    target = piece.details.get("continues") or {}
    return (
        call.ok
        and call.stage == target.get("stage")
        and call.model == target.get("model")
        and call.details.get("round", 0) == target.get("round", 0)
    )


async def continue_answer(
    *,
    store: Store,
    caller: ModelCaller,
    conversation_id: str,
    run_id: str,
    stage: int,
    model: str,
) -> dict[str, Any]:
    """Continue ``model``'s cut answer in ``stage`` (1 or 3) of a finished run; the answer as
    it now reads: ``{"stage", "model", "response", "finish_reason", "usage"}``."""
    # The call machinery (providers, aiohttp) is imported here, not with ``joined``: every
    # transcript reads that, and ``council conversations`` never calls a model.
    from llmcouncil.council.stage_calls import reasoning_for
    from llmcouncil.resilience.calls import CallPlan

    if stage not in (Stage.ANSWERS, Stage.FINAL):
        raise ValidationFailedError("only an answer (stage 1) or the final answer (3) continues")
    detail = await store.get_run(run_id)
    run = detail.run
    if run.conversation_id != conversation_id:
        raise NotFoundError(f"run {run_id} does not exist")
    if run.status == RunStatus.RUNNING:
        raise ConflictError(f"run {run_id} is still running")
    calls = joined(detail.calls)
    latest = max((c.details.get("round", 0) for c in calls if c.stage == stage), default=0)
    cut = next(
        (
            c
            for c in calls
            if c.stage == stage
            and c.model == model
            and c.ok
            and c.details.get("round", 0) == latest
        ),
        None,
    )
    if cut is None:
        raise NotFoundError(f"no answer of {model} in stage {stage} of run {run_id}")
    if cut.finish_reason != "length":
        raise ConflictError(f"the answer of {model} was not cut by the length limit")
    messages = await _messages(store, conversation_id, message_id=run.message_id, cut=cut)
    spec = CouncilSpec.from_dict(run.council or {})
    # The model that wrote the cut text: a fallback's, a self-moa sample's model, or its own.
    upstream = str(
        (cut.answered_by if cut.fallback_from else None)
        or cut.details.get("sample_model")
        or cut.model
    )
    reasoning, max_tokens = reasoning_for(
        spec, stage="chairman" if stage == Stage.FINAL else "answers", model=upstream
    )
    plan = CallPlan(
        stage=stage,
        model=upstream,
        watched=False,
        messages=messages,
        position=cut.position,
        temperature=spec.temperature,
        max_tokens=max_tokens,
        preset=spec.preset,
        reasoning=reasoning,
        details={
            "continues": {"stage": stage, "model": cut.model, "round": cut.details.get("round", 0)}
        },
    )
    piece = await caller.call(plan)
    piece.model = cut.model
    piece.stage = Stage.TITLE  # outside the stages: stage 0 never moves the run's stages_done
    if not piece.ok:
        await store.record_stage(run_id, stage=0, calls=[piece])
        reason = piece.failure.message if piece.failure else "no reason given"
        raise ConflictError(f"{model} could not continue: {reason}")
    fields: dict[str, Any] = {}
    final = dict(run.final or {})
    if stage == Stage.FINAL and final:
        read = read_structure(cut.text + piece.text, label_to_model=run.label_to_model or {})
        final.update(
            response=read.answer,
            structured=read.structured.as_json() if read.structured else None,
            structured_note=read.note,
            finish_reason=piece.finish_reason,
        )
        fields["final"] = final
    await store.record_stage(run_id, stage=0, calls=[piece], **fields)
    return {
        "stage": stage,
        "model": cut.model,
        "response": final["response"] if "final" in fields else cut.text + piece.text,
        "finish_reason": piece.finish_reason,
        "usage": piece.usage.as_dict(),
    }


async def _messages(
    store: Store, conversation_id: str, *, message_id: str, cut: CallRecord
) -> tuple[ChatMessage, ...]:
    detail = await store.conversation_detail(conversation_id)
    question = next((m.content for m in detail.messages if m.id == message_id), "")
    return (
        ChatMessage("user", question),
        ChatMessage("assistant", cut.text),
        ChatMessage("user", CONTINUE_PROMPT),
    )
