"""``council vote RUN_ID``: your vote on a run, from the command line (as the local operator).

The command line acts as the person at this machine (the voter ``local``, as in local mode of
the web UI); the vote is an audit record naming the OS user.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from llmcouncil.cli.common import ConfigOption, settings_from
from llmcouncil.cli.governance import cli_actor
from llmcouncil.errors import NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.feedback.service import FeedbackService, VoteView
    from llmcouncil.store.repository import Store

_out = Console(highlight=False)
T = TypeVar("T")


def _with_feedback(
    config: ConfigOption, work: Callable[[Store, FeedbackService], Awaitable[T]]
) -> T:
    from llmcouncil.audit.log import AuditLog, chain_key
    from llmcouncil.feedback.service import FeedbackService
    from llmcouncil.store.database import create_engine, upgrade
    from llmcouncil.store.repository import Store

    settings = settings_from(config)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            audit = AuditLog(engine, key=chain_key(settings.audit))
            return await work(Store(engine), FeedbackService(engine, audit=audit))
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def _run_id(store: Store, given: str) -> str:
    from sqlalchemy import select

    from llmcouncil.store import transactions
    from llmcouncil.store.tables import RUNS

    ids = await transactions.read(
        store.engine,
        lambda c: [
            str(r[0]) for r in c.execute(select(RUNS.c.id).where(RUNS.c.id.startswith(given)))
        ],
    )
    if given in ids:
        return given
    if not ids or not given:
        raise NotFoundError(f"run {given} does not exist")
    if len(ids) > 1:
        raise ValidationFailedError(f"{given} is the start of {len(ids)} run ids; give more of it")
    return ids[0]


def _show(view: VoteView, as_json: bool) -> None:
    from llmcouncil.feedback.schemas import VotePublic

    public = VotePublic.of(view)
    if as_json:
        _out.print_json(public.model_dump_json())
        return
    vote = public
    picked = f"{vote.preferred_label} ({vote.preferred_model})" if vote.preferred_label else "—"
    _out.print(f"your pick: {picked}; rating: {vote.rating or '—'}", markup=False)
    if vote.council_wrong:
        _out.print("marked: the council got this wrong")
    council = vote.council
    ranked = ", ".join(f"{p.label} ({p.model})" for p in council.places)
    _out.print(f"the council ranked: {ranked or '—'}", markup=False)
    if vote.agrees_with_council is not None:
        _out.print(
            "you agree with the council's top answer"
            if vote.agrees_with_council
            else f"the council's top answer was {council.winner_label} ({council.winner_model})"
            + (" (no clear winner)" if council.no_clear_winner else ""),
            markup=False,
        )


def vote(
    run_id: Annotated[str, typer.Argument(help="The run (its id, or a unique start of it).")],
    prefer: Annotated[
        str | None, typer.Option("--prefer", help="The answer you preferred: 'Response B'.")
    ] = None,
    rank: Annotated[
        str | None,
        typer.Option("--rank", help="Every answer, best first, comma-separated."),
    ] = None,
    rating: Annotated[
        str | None, typer.Option("--rating", help="up or down: the final answer.")
    ] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    wrong: Annotated[bool, typer.Option("--wrong", help="The council got this wrong.")] = False,
    saw_models: Annotated[
        bool, typer.Option("--saw-models", help="You judged knowing which model wrote what.")
    ] = False,
    show: Annotated[bool, typer.Option("--show", help="Show your vote; change nothing.")] = False,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw your vote.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Vote on a run: the answer you preferred (or your ranking), and your rating."""
    from llmcouncil.feedback.service import LOCAL_VOTER, Ballot

    if rating is not None and rating not in ("up", "down"):
        raise ValidationFailedError("--rating is up or down")
    ballot = Ballot(
        preferred_label=prefer,
        ranking=[label.strip() for label in rank.split(",")] if rank else None,
        blind=not saw_models,
        rating=rating,  # type: ignore[arg-type]
        comment=comment,
        council_wrong=wrong,
    )

    async def work(store: Store, feedback: FeedbackService) -> VoteView | None:
        detail = await store.get_run(await _run_id(store, run_id))
        if withdraw:
            await feedback.withdraw(detail, voter=LOCAL_VOTER, actor=cli_actor())
            return None
        if show:
            return await feedback.get(detail, voter=LOCAL_VOTER)
        return await feedback.cast(
            detail, voter=LOCAL_VOTER, user_id=None, ballot=ballot, actor=cli_actor()
        )

    view = _with_feedback(config, work)
    if view is None:
        _out.print(json.dumps({"withdrawn": True}) if as_json else "vote withdrawn")
        return
    _show(view, as_json)
