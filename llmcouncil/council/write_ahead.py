"""What a run needs before its task starts: the write-ahead of a new run, the reset of a retry.

Plain functions of what they are given (``RunSetting``: the store, the privacy guard, the
settings). Both work from the conversation (its vault as read under the privacy guard's
per-conversation lock; for a new run the caller reads it, with the history, in one go), let the
guard replace what the preset's ``pii_policy`` covers, then build the ``RunContext`` the
pipeline executes. A new run's user message and ``running`` run are committed in one
transaction (``Store.start_run``) before any upstream call. The conversation's documents go
ahead of the history (``documents.run_context.with_documents``: the one place they join a run).
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.pipeline import RunContext
from llmcouncil.council.prompts import history_messages
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.documents.processing import refuse_while_reading
from llmcouncil.documents.run_context import HistorySent, with_documents
from llmcouncil.privacy.policy import PrivacyGuard, PrivacySummary, ProtectedTurn, preset_policy
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.store.repository import DEFAULT_TITLE, Store
from llmcouncil.store.tables import ConversationRow, MessageRow, RunRow
from llmcouncil.store.vault_writes import retry_on_vault_change

ALL_TURNS = 2**31 - 1  # history(before_seq=…) of a conversation's every stored turn
MODES_WITHOUT_CHAIRMAN = ("select", "answers")  # council/modes.py


@dataclass(frozen=True, slots=True)
class RunSetting:
    """What every run of one process is prepared with."""

    store: Store
    privacy: PrivacyGuard
    settings: Settings
    simulated: bool
    worker_id: str  # written on the runs this process executes


_Read = tuple[ConversationRow, list[tuple[str, str]]]  # a conversation and its history


@dataclass(frozen=True, slots=True)
class _WrittenAhead:
    """What ``write_ahead`` stored, and the read and protected turn it stored it from."""

    conversation: ConversationRow
    turns: int  # of history
    turn: ProtectedTurn
    spec: CouncilSpec  # with the client's system prompt, protected
    run: RunRow
    message: MessageRow


@dataclass(frozen=True, slots=True)
class PreparedRun:
    ctx: RunContext
    vault: PiiVault | None  # the placeholders its listeners get back as originals


async def write_ahead(
    setting: RunSetting,
    *,
    conversation: ConversationRow,
    history: list[tuple[str, str]],
    spec: CouncilSpec,
    content: str,
    idempotency_key: str | None,
    system_prompt: str | None,
    actor: RunActor | None,
) -> PreparedRun:
    """A new run, stored ``running``. Called under ``privacy.writing(conversation.id)``, with
    the conversation and history read under it. When another process wrote the vault since
    (the run's write refused: nothing stored), both are read again and the turn protected again
    (``retry_on_vault_change``)."""
    settings, store = setting.settings, setting.store
    first: _Read | None = (conversation, history)  # the caller's read: the first attempt's

    async def protect_and_store() -> _WrittenAhead:
        nonlocal first
        read, first = first, None
        current, turns = read or await store.conversation_with_history(
            conversation.id, before_seq=ALL_TURNS
        )
        turn = await setting.privacy.protect(
            conversation_id=current.id,
            vault_token=current.pii_vault,
            question=content,
            history=turns,
            system_prompt=system_prompt,
            policy=preset_policy(settings, spec.preset),
            history_budget=settings.limits.max_history_chars,  # older turns: unsent
        )
        asked = with_client_system_prompt(spec, turn.system_prompt) if turn.system_prompt else spec
        await refuse_while_reading(store.engine, current.id)  # 409, nothing stored
        run, message = await store.start_run(
            conversation_id=current.id,
            content=turn.question,
            idempotency_key=idempotency_key,
            council=asked.as_dict(),
            seed=secrets.randbelow(2**31),
            simulated=setting.simulated,
            worker_id=setting.worker_id,
            pii_vault=turn.vault_write,
            privacy=turn.summary.as_json(),
            user_id=actor.user_id if actor else None,
            api_key_id=actor.api_key_id if actor else None,
        )
        return _WrittenAhead(current, len(turns), turn, asked, run, message)

    written = await retry_on_vault_change(protect_and_store, conversation_id=conversation.id)
    turn, run, message = written.turn, written.run, written.message
    sent = await _history_sent(
        setting,
        turn=turn,
        conversation_id=conversation.id,
        run_id=run.id,
        spec=written.spec,
        turns=written.turns,
    )
    ctx = RunContext(
        run_id=run.id,
        conversation_id=conversation.id,
        message_id=message.id,
        question=turn.question,
        spec=written.spec,
        seed=run.seed,
        history=sent.messages,
        histories=sent.histories,
        make_title=message.seq == 1 and written.conversation.title == DEFAULT_TITLE,
        simulated=setting.simulated,
        privacy=turn.summary,
    )
    return PreparedRun(ctx=ctx, vault=turn.vault)


async def reset_for_retry(setting: RunSetting, *, conversation_id: str, run_id: str) -> PreparedRun:
    """A run that ended (or was interrupted) set ``running`` again, to resume after its last
    stored stage. The caller knows the run is not executing in this process."""
    store, settings = setting.store, setting.settings
    # Checked before the run is reset, so a refusal leaves it as it was.
    stored = await store.get_run(run_id)
    message = await store.get_message(stored.run.message_id)

    async def protect_and_store() -> tuple[ConversationRow, list[tuple[str, str]], ProtectedTurn]:
        conversation, history = await store.conversation_with_history(
            conversation_id, before_seq=message.seq
        )
        turn = await setting.privacy.protect(
            conversation_id=conversation_id,
            vault_token=conversation.pii_vault,
            question=message.content,
            history=history,
            policy=preset_policy(settings, stored.run.council.get("preset")),
            history_budget=settings.limits.max_history_chars,
        )
        if turn.vault_write is not None:
            await store.save_vault(conversation_id, turn.vault_write)
        return conversation, history, turn

    async with setting.privacy.writing(conversation_id):
        conversation, history, turn = await retry_on_vault_change(
            protect_and_store, conversation_id=conversation_id
        )
    # A row still ``running`` under this process's worker id (its end refused by the database)
    # is not live here, and may be reset; one of a dead instance (heartbeat older than the
    # lease) is taken over; one of a live instance is a conflict (store/instances.py).
    run = await store.reset_for_retry(
        run_id,
        worker_id=setting.worker_id,
        idle_worker=setting.worker_id,
        lease=settings.instances.lease,
    )
    detail = await store.get_run(run_id)
    spec = CouncilSpec.from_dict(run.council)
    sent = await _history_sent(
        setting,
        turn=turn,
        conversation_id=conversation_id,
        run_id=run.id,
        spec=spec,
        turns=len(history),
    )
    ctx = RunContext(
        run_id=run.id,
        conversation_id=conversation_id,
        message_id=message.id,
        question=turn.question,
        spec=spec,
        seed=run.seed,
        history=sent.messages,
        histories=sent.histories,
        make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
        simulated=setting.simulated,
        resume=detail,
        privacy=PrivacySummary.stored(run.privacy),
    )
    return PreparedRun(ctx=ctx, vault=turn.vault)


async def _history_sent(
    setting: RunSetting,
    *,
    turn: ProtectedTurn,
    conversation_id: str,
    run_id: str,
    spec: CouncilSpec,
    turns: int,
) -> HistorySent:
    """The history within its budget, the conversation's documents ahead of it (outside it);
    the histories of the models sent one of their own (images, a larger share of the
    documents)."""
    callers = [*spec.chairman_fallbacks, *(m for chain in spec.fallbacks.values() for m in chain)]
    if spec.mode == "self-moa" and spec.sample_model:
        callers.append(spec.sample_model)
    # Who may be sent an image, for the record of who saw it: those that answer and the
    # chairman, as the mode has them (reviewers read the text history only).
    answering = (
        [spec.sample_model or spec.members[0]] if spec.mode == "self-moa" else list(spec.members)
    )
    chairing = [] if spec.mode in MODES_WITHOUT_CHAIRMAN else [spec.chairman]
    return await with_documents(
        history_messages(turn.history, max_chars=setting.settings.limits.max_history_chars),
        store=setting.store,
        privacy=setting.privacy,
        settings=setting.settings,
        conversation_id=conversation_id,
        run_id=run_id,
        question=turn.question,
        members=spec.members,
        chairman=spec.chairman,
        turns=turns,
        callers=callers,
        preset=spec.preset,
        image_models=[*answering, *chairing],
        chains={**spec.fallbacks, spec.chairman: spec.chairman_fallbacks},
    )


def with_client_system_prompt(spec: CouncilSpec, system_prompt: str) -> CouncilSpec:
    """The members answer, and the Chairman writes, under the client's instructions too."""
    prompts = dict(spec.system_prompts)
    for stage in ("stage1", "stage3"):
        prompts[stage] = "\n\n".join(p for p in (prompts.get(stage, ""), system_prompt) if p)
    return dataclasses.replace(spec, system_prompts=prompts)
