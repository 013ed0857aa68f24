"""Stored runs rendered for people and programs: the API's JSON, replayed events, Markdown export.

These read what the store holds, through the same ``*_item`` functions the live stream uses.
The store holds placeholders (``<EMAIL_1>``) where the user wrote personal data; the public
functions here put the originals back from the conversation's vault (``detail.vault``), so the
user sees what they wrote. ``run_payload`` and ``replay_events`` stay as stored: a live handle
restores replayed events itself, per listener.
"""

from __future__ import annotations

from typing import Any

from llmcouncil.council.continuation import joined
from llmcouncil.council.events import CouncilEvent, EventType
from llmcouncil.council.ranking_summary import RankingSummary
from llmcouncil.council.stage_items import stage1_item, stage2_item
from llmcouncil.privacy.restore import restore_value
from llmcouncil.records import CallRecord, RunStatus, Stage
from llmcouncil.store.repository import ConversationDetail, ConversationSummary, RunDetail


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def run_payload(detail: RunDetail) -> dict[str, Any]:
    """The assistant turn of the original API, plus status, errors and timing."""
    run = detail.run
    calls = joined(detail.calls)  # an answer cut by its length limit, with its continuation
    stage1, rounds = _answer_rounds(calls)
    stage2 = [stage2_item(c) for c in calls if c.stage == Stage.REVIEWS and c.ok]
    errors = [c.error_item() for c in calls if not c.ok and c.stage > 0]
    summary = RankingSummary.stored(run.meta)
    metadata = summary.as_json() if summary is not None else {}
    if run.label_to_model is not None:
        metadata["label_to_model"] = run.label_to_model
    usage = [c.usage for c in calls]
    return {
        "role": "assistant",
        "run_id": run.id,
        "status": run.status,
        "stage1": stage1,
        "stage2": stage2,
        "stage3": run.final,
        "metadata": metadata,
        "errors": errors,
        "error": run.error,
        "stages_done": run.stages_done,
        "attempts": run.attempts,
        "simulated": run.simulated,
        "council": run.council,
        "mode": (run.council or {}).get("mode") or "classic",
        "stage1_rounds": rounds,
        "privacy": run.privacy,
        "usage": {
            "prompt_tokens": sum(u.prompt_tokens for u in usage),
            "completion_tokens": sum(u.completion_tokens for u in usage),
            "reasoning_tokens": sum(u.reasoning_tokens for u in usage),
            "cost": sum(u.cost for u in usage if u.cost is not None)
            if any(u.cost is not None for u in usage)
            else None,
        },
        "created_at": _iso(run.created_at),
        "finished_at": _iso(run.finished_at),
    }


def _answer_rounds(calls: list[CallRecord]) -> tuple[list[dict[str, Any]], list[Any]]:
    """The answers that went on to review (after the last revision round), and every round's
    answers when there were revisions (``[]`` otherwise). A member whose revision failed keeps
    its previous answer in the rounds after."""
    first = [c for c in calls if c.stage == Stage.ANSWERS and c.ok and "round" not in c.details]
    revised = [c for c in calls if c.stage == Stage.ANSWERS and c.ok and "round" in c.details]
    if not revised:
        return [stage1_item(c) for c in first], []
    current = {c.model: {**stage1_item(c), "round": 0} for c in first}
    rounds = [list(current.values())]
    for number in sorted({int(c.details["round"]) for c in revised}):
        for c in revised:
            if int(c.details["round"]) == number:
                current[c.model] = {**stage1_item(c), "round": number}
        rounds.append(list(current.values()))
    return rounds[-1], rounds


def result_payload(detail: RunDetail) -> dict[str, Any]:
    """The original's non-streamed answer: ``{stage1, stage2, stage3, metadata}`` (plus extras)."""
    payload = run_payload(detail)
    result = {
        key: payload[key]
        for key in (
            "stage1",
            "stage2",
            "stage3",
            "metadata",
            "errors",
            "run_id",
            "status",
            "error",
            "usage",
            "privacy",
            "mode",
            "stage1_rounds",
        )
    }
    return dict(restore_value(result, detail.vault))


def summary_payload(summary: ConversationSummary) -> dict[str, Any]:
    c = summary.conversation
    return {
        "id": c.id,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "title": restore_value(c.title, summary.vault),
        "message_count": summary.message_count,
        "preset": c.preset,
        "source": c.source,
    }


def conversation_payload(detail: ConversationDetail) -> dict[str, Any]:
    c = detail.conversation
    messages: list[dict[str, Any]] = []
    for message in detail.messages:
        messages.append(
            {
                "role": "user",
                "id": message.id,
                "content": message.content,
                "created_at": _iso(message.created_at),
            }
        )
        runs = detail.runs.get(message.id, [])
        if runs:
            messages.append(run_payload(runs[-1]))
    payload = {
        "id": c.id,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "title": c.title,
        "preset": c.preset,
        "members": c.members,
        "chairman": c.chairman,
        "reasoning": c.reasoning,
        "messages": messages,
    }
    return dict(restore_value(payload, detail.vault))


def replay_events(detail: RunDetail) -> list[CouncilEvent]:
    """A stored run as the events a live run would have sent (for a repeated POST)."""
    payload = run_payload(detail)
    run = detail.run
    events = [
        CouncilEvent(
            EventType.RUN_START,
            {
                "run_id": run.id,
                "conversation_id": run.conversation_id,
                "message_id": run.message_id,
                "members": run.council.get("members"),
                "chairman": run.council.get("chairman"),
                "preset": run.council.get("preset"),
                "mode": payload["mode"],
                "simulated": run.simulated,
                "privacy": run.privacy,
                "replayed": True,
            },
        )
    ]
    if run.stages_done >= Stage.ANSWERS:
        events += [
            CouncilEvent(EventType.STAGE1_START),
            CouncilEvent(
                EventType.STAGE1_COMPLETE,
                {
                    "data": payload["stage1_rounds"][0]
                    if payload["stage1_rounds"]
                    else payload["stage1"]
                },
            ),
        ]
        for number, answers in enumerate(payload["stage1_rounds"][1:], start=1):
            events += [
                CouncilEvent(EventType.REVISION_START, {"round": number}),
                CouncilEvent(EventType.REVISION_COMPLETE, {"round": number, "data": answers}),
            ]
    reviewed = payload["mode"] != "answers" and (payload["stage2"] or payload["metadata"])
    if run.stages_done >= Stage.REVIEWS and reviewed:
        events += [
            CouncilEvent(EventType.STAGE2_START),
            CouncilEvent(
                EventType.STAGE2_COMPLETE,
                {"data": payload["stage2"], "metadata": payload["metadata"]},
            ),
        ]
    if run.stages_done >= Stage.FINAL:
        events += [
            CouncilEvent(EventType.STAGE3_START),
            CouncilEvent(EventType.STAGE3_COMPLETE, {"data": payload["stage3"]}),
        ]
    if run.status == RunStatus.COMPLETE:
        events.append(CouncilEvent(EventType.COMPLETE, {"run_id": run.id, "status": run.status}))
    elif run.status != RunStatus.RUNNING:
        error = dict(run.error or {"code": run.status, "message": f"the run is {run.status}"})
        events.append(CouncilEvent(EventType.ERROR, {**error, "run_id": run.id}))
    return events


def conversation_markdown(detail: ConversationDetail) -> str:
    c = detail.conversation
    out = [f"# {c.title}", "", f"_Exported from LLM Council · created {_iso(c.created_at)}_", ""]
    for message in detail.messages:
        out += ["## Question", "", message.content, ""]
        runs = detail.runs.get(message.id, [])
        if not runs:
            continue
        payload = run_payload(runs[-1])
        if payload["simulated"]:
            out += ["> Simulated output (demo mode): no real model produced this.", ""]
        final = payload["stage3"]
        if final:
            who = final.get("model") or "no chairman"
            label = "Final answer (degraded)" if final.get("degraded") else "Final answer"
            out += [f"## {label} — {who}", "", str(final.get("response", "")), ""]
        elif payload["status"] != RunStatus.COMPLETE:
            out += [
                f"_Run {payload['status']}: "
                f"{(payload['error'] or {}).get('message', 'no final answer')}_",
                "",
            ]
        out += _peer_ranking(RankingSummary.stored(payload["metadata"]) or RankingSummary())
        for answer in payload["stage1"]:
            out += [f"### Answer from {answer['model']}", "", answer["response"], ""]
        for error in payload["errors"]:
            out += [f"- **{error['model']}** failed in stage {error['stage']}: {error['message']}"]
        if payload["errors"]:
            out.append("")
    return str(restore_value("\n".join(out).rstrip() + "\n", detail.vault))


def _peer_ranking(summary: RankingSummary) -> list[str]:
    """The leaderboard as a table: strength with its interval when the run has them (runs stored
    before Bradley-Terry show the average rank alone)."""
    if summary.has_strengths:
        out = [
            "### Peer ranking",
            "",
            "| rank | model | strength (95 % interval) | average rank | votes |",
            "|---|---|---|---|---|",
        ]
        for i, row in enumerate(summary.ranked(), start=1):
            low, high = row.ci_low, row.ci_high
            interval = (
                f" ({low:+.2f} to {high:+.2f})" if low is not None and high is not None else ""
            )
            out.append(
                f"| {i} | {row.model} | {row.strength or 0.0:+.2f}{interval} | "
                f"{row.average_rank} | {row.rankings_count} |"
            )
        if summary.no_clear_winner:
            out += ["", "_No clear winner: the top answers' intervals overlap._"]
        return [*out, ""]
    if not summary.aggregate_rankings:
        return []
    out = ["### Peer ranking", "", "| rank | model | average rank | votes |", "|---|---|---|---|"]
    out += [
        f"| {i} | {row.model} | {row.average_rank} | {row.rankings_count} |"
        for i, row in enumerate(summary.aggregate_rankings, start=1)
    ]
    return [*out, ""]
