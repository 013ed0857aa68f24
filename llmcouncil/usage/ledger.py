"""The usage ledger: pricing a run's model calls, copying them into ``usage_records``, reading.

Recording is idempotent (a call is recorded once, keyed by its ``model_calls`` id), so a run
can be settled again after a retry or a late answer, and a crashed process's runs are settled at
the next start-up. The ledger keeps no text, and survives the conversation it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Select, and_, bindparam, distinct, func, insert, select
from sqlalchemy.orm import Session

from llmcouncil.auth.tables import ApiKeyRow, UserRow
from llmcouncil.records import CallRecord, RunStatus
from llmcouncil.store.tables import ModelCallRow, RunRow, utcnow
from llmcouncil.usage.settings import ModelPrice, UsageSettings
from llmcouncil.usage.tables import UsageRecordRow

GroupBy = Literal["user", "key", "model", "run"]


# What one model call cost: the upstream's own figure when it gave one, else the price table.
UPSTREAM = "upstream"
PRICE_TABLE = "price_table"
UNKNOWN = "unknown"


class LedgerRecord(NamedTuple):
    """One ``usage_records`` row as inserted (a tuple: settling writes ten of these a run, and
    an ORM object each cost more than the insert)."""

    model_call_id: int | None  # None: a call made outside a run
    run_id: str | None
    conversation_id: str
    user_id: str | None
    api_key_id: str | None
    stage: int
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    cost_source: str
    simulated: bool
    created_at: datetime
    document_id: str | None = None  # outside a run: the document the call was for


@dataclass(frozen=True, slots=True)
class CallCost:
    cost: float
    source: str  # upstream | price_table | unknown


def price_for(settings: UsageSettings, *models: str | None) -> ModelPrice | None:
    """The first price-table entry naming one of ``models`` (with or without a provider
    prefix such as ``openai:``), else the ``"*"`` entry."""
    prices = settings.prices
    for model in models:
        if not model:
            continue
        for name in (model, model.partition(":")[2]):
            if name and name in prices:
                return prices[name]
    return prices.get("*")


def call_cost(
    settings: UsageSettings,
    *,
    models: tuple[str | None, ...],
    prompt_tokens: int,
    completion_tokens: int,
    upstream_cost: float | None,
) -> CallCost:
    if upstream_cost is not None:
        return CallCost(cost=float(upstream_cost), source=UPSTREAM)
    price = price_for(settings, *models)
    if price is None:
        return CallCost(cost=0.0, source=UNKNOWN)
    cost = (prompt_tokens * price.prompt + completion_tokens * price.completion) / 1_000_000
    return CallCost(cost=cost, source=PRICE_TABLE)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What settling added to the ledger for one run."""

    user_id: str | None
    api_key_id: str | None
    records: list[LedgerRecord]

    @property
    def cost(self) -> float:
        return sum(r.cost for r in self.records)

    @property
    def tokens(self) -> int:
        return sum(r.prompt_tokens + r.completion_tokens for r in self.records)


def _unrecorded() -> Select[*tuple[Any, ...]]:
    """Calls not in the ledger yet, with what pricing and attribution need (not their text)."""
    recorded = select(UsageRecordRow.id).where(UsageRecordRow.model_call_id == ModelCallRow.id)
    return (
        select(
            ModelCallRow.id,
            ModelCallRow.stage,
            ModelCallRow.model,
            ModelCallRow.answered_by,
            ModelCallRow.prompt_tokens,
            ModelCallRow.completion_tokens,
            ModelCallRow.cost,
            ModelCallRow.simulated,
            RunRow.conversation_id,
            RunRow.user_id,
            RunRow.api_key_id,
        )
        .join(RunRow, RunRow.id == ModelCallRow.run_id)
        .where(~recorded.exists())
    )


# Settling runs these for every run; built once, they keep their cache keys (see
# store/statements.py for why that matters).
_UNRECORDED_OF_RUN = _unrecorded().where(ModelCallRow.run_id == bindparam("run_id"))
_ATTRIBUTION = select(RunRow.user_id, RunRow.api_key_id).where(RunRow.id == bindparam("run_id"))
_INSERT_RECORDS = insert(UsageRecordRow.metadata.tables[UsageRecordRow.__tablename__])


def run_attribution(session: Session, run_id: str) -> tuple[str | None, str | None]:
    row = session.execute(_ATTRIBUTION, {"run_id": run_id}).first()
    return (row[0], row[1]) if row else (None, None)


def record_run_calls(
    session: Session,
    *,
    run_id: str,
    settings: UsageSettings,
    attribution: tuple[str | None, str | None] | None = None,
) -> Recorded:
    """Add the run's calls that the ledger does not have yet (in the caller's transaction).

    ``attribution``: the run's (user, key) when the caller has read them already.
    """
    rows = session.execute(_UNRECORDED_OF_RUN, {"run_id": run_id}).all()
    user_id, key_id = attribution or run_attribution(session, run_id)
    now = utcnow()
    records = [
        _priced(
            settings,
            _Where(call.id, run_id, call.conversation_id, call.user_id, call.api_key_id, None),
            stage=call.stage,
            models=(call.answered_by, call.model),
            tokens=(call.prompt_tokens, call.completion_tokens),
            upstream_cost=call.cost,
            simulated=call.simulated,
            now=now,
        )
        for call in rows
    ]
    return _added(session, records, user_id=user_id, key_id=key_id)


def record_background_calls(
    session: Session,
    calls: Sequence[CallRecord],
    *,
    settings: UsageSettings,
    conversation_id: str,
    document_id: str,
    user_id: str | None,
) -> Recorded:
    """Add calls made outside a run (a document's chapter summaries), charged to ``user_id``
    (in the caller's transaction). A failed call is recorded too: an upstream may bill it."""
    now = utcnow()
    records = [
        _priced(
            settings,
            _Where(None, None, conversation_id, user_id, None, document_id),
            stage=call.stage,
            models=(call.answered_by, call.model),
            tokens=(call.usage.prompt_tokens, call.usage.completion_tokens),
            upstream_cost=call.usage.cost,
            simulated=call.simulated,
            now=now,
        )
        for call in calls
    ]
    return _added(session, records, user_id=user_id, key_id=None)


class _Where(NamedTuple):
    """Whose a ledger row is: a run's call, or a call made for a document outside a run."""

    model_call_id: int | None
    run_id: str | None
    conversation_id: str
    user_id: str | None
    api_key_id: str | None
    document_id: str | None


def _priced(
    settings: UsageSettings,
    where: _Where,
    *,
    stage: int,
    models: tuple[str | None, str],
    tokens: tuple[int, int],
    upstream_cost: float | None,
    simulated: bool,
    now: datetime,
) -> LedgerRecord:
    """One call's ledger row: ``models`` is (the model that answered, the one configured)."""
    priced = call_cost(
        settings,
        models=models,
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        upstream_cost=upstream_cost,
    )
    return LedgerRecord(
        **where._asdict(),
        stage=stage,
        model=models[0] or models[1],
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        cost=priced.cost,
        cost_source=priced.source,
        simulated=simulated,
        created_at=now,
    )


def _added(
    session: Session, records: list[LedgerRecord], *, user_id: str | None, key_id: str | None
) -> Recorded:
    if records:
        # One Core executemany, not an ORM flush: nobody reads the new rows' ids.
        session.execute(_INSERT_RECORDS, [r._asdict() for r in records])
    return Recorded(user_id=user_id, api_key_id=key_id, records=records)


def unsettled_runs(session: Session) -> list[str]:
    """Runs that are not running and have calls missing from the ledger."""
    stmt = (
        _unrecorded()
        .with_only_columns(ModelCallRow.run_id)
        .where(RunRow.status != RunStatus.RUNNING)
        .distinct()
    )
    return [str(r) for r in (session.scalars(stmt)).all()]


def spent_between(
    session: Session,
    *,
    subject_type: str,
    subject_id: str,
    start: datetime | None,
    end: datetime | None,
) -> tuple[float, int]:
    column = UsageRecordRow.user_id if subject_type == "user" else UsageRecordRow.api_key_id
    stmt = select(
        func.coalesce(func.sum(UsageRecordRow.cost), 0.0),
        func.coalesce(func.sum(UsageRecordRow.prompt_tokens + UsageRecordRow.completion_tokens), 0),
    ).where(column == subject_id)
    if start is not None:
        stmt = stmt.where(UsageRecordRow.created_at >= start)
    if end is not None:
        stmt = stmt.where(UsageRecordRow.created_at < end)
    cost, tokens = (session.execute(stmt)).one()
    return float(cost or 0.0), int(tokens or 0)


def usage_summary(
    session: Session,
    *,
    group_by: GroupBy,
    since: datetime | None = None,
    until: datetime | None = None,
    user_id: str | None = None,
    api_key_id: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    u = UsageRecordRow
    group_column: Any = {
        "user": u.user_id,
        "key": u.api_key_id,
        "model": u.model,
        "run": u.run_id,
    }[group_by]
    cost = func.sum(u.cost)
    stmt = select(
        group_column,
        func.count(distinct(u.run_id)),
        func.count(u.id),
        func.sum(u.prompt_tokens),
        func.sum(u.completion_tokens),
        cost,
        func.min(u.created_at),
        func.max(u.created_at),
    ).group_by(group_column)
    conditions = []
    if since is not None:
        conditions.append(u.created_at >= since)
    if until is not None:
        conditions.append(u.created_at < until)
    if user_id is not None:
        conditions.append(u.user_id == user_id)
    if api_key_id is not None:
        conditions.append(u.api_key_id == api_key_id)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    stmt = stmt.order_by(cost.desc(), group_column).limit(limit)
    rows = (session.execute(stmt)).all()
    names = _names(session, group_by, [r[0] for r in rows])
    return [
        {
            "group": group_by,
            "id": r[0],
            "name": names.get(r[0]),
            "runs": int(r[1]),
            "calls": int(r[2]),
            "prompt_tokens": int(r[3] or 0),
            "completion_tokens": int(r[4] or 0),
            "total_tokens": int((r[3] or 0) + (r[4] or 0)),
            "cost": round(float(r[5] or 0.0), 10),
            "first": r[6].isoformat() if r[6] else None,
            "last": r[7].isoformat() if r[7] else None,
        }
        for r in rows
    ]


def _names(session: Session, group_by: GroupBy, ids: list[Any]) -> dict[Any, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    if group_by == "user":
        users = session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted)))
        return {str(i): str(n) for i, n in users.all()}
    if group_by == "key":
        keys = session.execute(
            select(ApiKeyRow.id, ApiKeyRow.prefix, ApiKeyRow.name).where(ApiKeyRow.id.in_(wanted))
        )
        return {i: f"{name} (lc_{prefix})" for i, prefix, name in keys.all()}
    return {}
