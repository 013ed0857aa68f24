"""The audit log, for administrators and auditors: search, export as JSONL, verify the chain.

Records never hold a question's text unless ``audit.include_prompts`` is on; reading the log is
therefore not reading conversations. Exporting is itself recorded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import AuditReader, client_of
from llmcouncil.api.inputs import INT32_MAX
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.audit.chain import TIME_FORMAT, AuditEntry
from llmcouncil.audit.log import AuditFilter
from llmcouncil.audit.verify import Anchor
from llmcouncil.auth.service import actor_of
from llmcouncil.errors import ValidationFailedError

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in"},
    403: {"model": ErrorBody, "description": "Not an administrator or auditor"},
}
router = APIRouter(prefix="/api/audit", tags=["audit"], responses=ERRORS)


class AuditRecordPublic(BaseModel):
    seq: int
    created_at: str
    action: str
    outcome: str
    actor_user_id: str | None
    actor_name: str | None
    actor_key_id: str | None
    actor_ip: str | None
    target: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    records: list[AuditRecordPublic]
    next_before_seq: int | None


class ChainProblemPublic(BaseModel):
    seq: int
    kind: str
    message: str


class ChainReportPublic(BaseModel):
    ok: bool
    records: int
    head: dict[str, Any]
    problems: list[ChainProblemPublic]


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(TIME_FORMAT)


def _filters(
    action: str | None,
    actor: str | None,
    target: str | None,
    outcome: str | None,
    since: datetime | None,
    until: datetime | None,
    before_seq: int | None = None,
) -> AuditFilter:
    return AuditFilter(
        action=action,
        actor_user_id=actor,
        target=target,
        outcome=outcome,
        since=_time(since),
        until=_time(until),
        before_seq=before_seq,
    )


Action = Annotated[
    str | None,
    Query(max_length=50, description='Exact ("auth.login") or a prefix ending in "." ("user.").'),
]
ActorId = Annotated[str | None, Query(max_length=36, description="The acting user's id.")]
Target = Annotated[str | None, Query(max_length=300)]
Outcome = Annotated[str | None, Query(max_length=20)]
Since = Annotated[datetime | None, Query(description="ISO time, inclusive.")]
Until = Annotated[datetime | None, Query(description="ISO time, exclusive.")]


@router.get("", response_model=AuditPage)
async def search_audit(
    _reader: AuditReader,
    runtime: RuntimeDep,
    action: Action = None,
    actor: ActorId = None,
    target: Target = None,
    outcome: Outcome = None,
    since: Since = None,
    until: Until = None,
    before_seq: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="Page: older than this.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Newest first. Page backwards with ``before_seq`` = the last page's ``next_before_seq``."""
    filters = _filters(action, actor, target, outcome, since, until, before_seq)
    await runtime.runs.settled()  # runs already answered have their records
    records = await runtime.governance.audit.query(filters, limit=limit)
    more = len(records) == limit and records[-1].seq > 1
    return {
        "records": [r.as_dict() for r in records],
        "next_before_seq": records[-1].seq if more else None,
    }


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_audit(
    reader: AuditReader,
    request: Request,
    runtime: RuntimeDep,
    action: Action = None,
    actor: ActorId = None,
    target: Target = None,
    outcome: Outcome = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """JSON Lines, oldest first, every field and both hashes: ``council audit verify --file``
    checks an export the way it checks the database."""
    audit = runtime.governance.audit
    filters = _filters(action, actor, target, outcome, since, until)
    await runtime.runs.settled()
    await audit.record(
        "audit.export",
        actor=actor_of(reader, client_of(request)),
        details=_filter_details(filters),
    )

    async def lines() -> AsyncIterator[bytes]:
        async for entry in audit.entries(filters):
            yield (jsonl(entry) + "\n").encode()

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="council-audit.jsonl"'},
    )


@router.get("/verify", response_model=ChainReportPublic)
async def verify_audit(
    _reader: AuditReader,
    runtime: RuntimeDep,
    anchor: Annotated[
        str | None, Query(max_length=100, description="SEQ:HASH of a head seen earlier.")
    ] = None,
) -> dict[str, Any]:
    try:
        parsed = Anchor.parse(anchor) if anchor else None
    except ValueError as exc:
        raise ValidationFailedError(str(exc)) from exc
    await runtime.runs.settled()
    report = await runtime.governance.audit.verify(anchor=parsed)
    return report.as_dict()


def jsonl(entry: AuditEntry) -> str:
    return json.dumps(entry.as_dict(), ensure_ascii=False, separators=(",", ":"))


def _filter_details(filters: AuditFilter) -> dict[str, Any]:
    fields = ("action", "actor_user_id", "target", "outcome", "since", "until")
    return {name: getattr(filters, name) for name in fields if getattr(filters, name)}
