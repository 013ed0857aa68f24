"""What a run needs before its task starts: the write-ahead of a new run, the reset of a retry.

Both work from the conversation (its vault as read under the privacy guard's per-conversation
lock; for a new run ``RunService`` reads it, with the history, in one go) and let the guard
replace what the preset's ``pii_policy`` covers, then build the ``RunContext`` the pipeline
executes. A new run's user message and ``running`` run are
committed in one transaction (``Store.start_run``) before any upstream call.
"""

from __future__ import annotations

import dataclasses
import secrets

from llmcouncil.config import Settings
from llmcouncil.council.governance import RunActor
from llmcouncil.council.pipeline import RunContext
from llmcouncil.council.prompts import history_messages
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.documents.run_context import with_documents
from llmcouncil.privacy.policy import PrivacyGuard, preset_policy
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.providers.base import ChatMessage
from llmcouncil.store.repository import DEFAULT_TITLE, Store
from llmcouncil.store.tables import ConversationRow

ALL_TURNS = 2**31 - 1  # history(before_seq=…) of a conversation's every stored turn


class RunPreparation:
    """Part of ``RunService`` (its base): the attributes below are set by its constructor."""

    _store: Store
    _settings: Settings
    _simulated: bool
    privacy: PrivacyGuard
    worker_id: str

    async def _write_ahead(
        self,
        conversation: ConversationRow,
        history: list[tuple[str, str]],
        *,
        spec: CouncilSpec,
        content: str,
        idempotency_key: str | None,
        system_prompt: str | None,
        actor: RunActor | None,
    ) -> tuple[RunContext, PiiVault | None]:
        """Called under ``privacy.writing(conversation.id)``, with what was read under it."""
        conversation_id = conversation.id
        turn = await self.privacy.protect(
            conversation_id=conversation_id,
            vault_token=conversation.pii_vault,
            question=content,
            history=history,
            system_prompt=system_prompt,
            policy=preset_policy(self._settings, spec.preset),
            history_budget=self._settings.limits.max_history_chars,  # older turns: unsent
        )
        if turn.system_prompt:
            spec = with_client_system_prompt(spec, turn.system_prompt)
        run, message = await self._store.start_run(
            conversation_id=conversation_id,
            content=turn.question,
            idempotency_key=idempotency_key,
            council=spec.as_dict(),
            seed=secrets.randbelow(2**31),
            simulated=self._simulated,
            worker_id=self.worker_id,
            pii_vault=turn.sealed,
            privacy=turn.summary,
            user_id=actor.user_id if actor else None,
            api_key_id=actor.api_key_id if actor else None,
        )
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=turn.question,
            spec=spec,
            seed=run.seed,
            history=await self._pinned(
                history_messages(turn.history, max_chars=self._settings.limits.max_history_chars),
                conversation_id=conversation_id,
                run_id=run.id,
                question=turn.question,
                spec=spec,
                turns=len(history),
            ),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
            privacy=turn.summary,
        )
        return ctx, turn.vault

    async def _pinned(
        self,
        history: list[ChatMessage],
        *,
        conversation_id: str,
        run_id: str,
        question: str,
        spec: CouncilSpec,
        turns: int,
    ) -> list[ChatMessage]:
        """The conversation's documents go ahead of the history, outside its budget."""
        return await with_documents(
            history,
            store=self._store,
            privacy=self.privacy,
            settings=self._settings,
            conversation_id=conversation_id,
            run_id=run_id,
            question=question,
            members=spec.members,
            chairman=spec.chairman,
            turns=turns,
        )

    async def _prepare_retry(
        self, conversation_id: str, run_id: str
    ) -> tuple[RunContext, PiiVault | None]:
        # Checked before the run is reset, so a refusal leaves it as it was.
        stored = await self._store.get_run(run_id)
        message = await self._store.get_message(stored.run.message_id)
        async with self.privacy.writing(conversation_id):
            conversation, history = await self._store.conversation_with_history(
                conversation_id, before_seq=message.seq
            )
            turn = await self.privacy.protect(
                conversation_id=conversation_id,
                vault_token=conversation.pii_vault,
                question=message.content,
                history=history,
                policy=preset_policy(self._settings, stored.run.council.get("preset")),
                history_budget=self._settings.limits.max_history_chars,
            )
            if turn.sealed is not None:
                await self._store.save_vault(conversation_id, turn.sealed)
        # The caller knows the run is not executing in this process: a row still ``running``
        # under this process's worker id (its end refused by the database) may be reset.
        run = await self._store.reset_for_retry(
            run_id, worker_id=self.worker_id, idle_worker=self.worker_id
        )
        detail = await self._store.get_run(run_id)
        ctx = RunContext(
            run_id=run.id,
            conversation_id=conversation_id,
            message_id=message.id,
            question=turn.question,
            spec=CouncilSpec.from_dict(run.council),
            seed=run.seed,
            history=await self._pinned(
                history_messages(turn.history, max_chars=self._settings.limits.max_history_chars),
                conversation_id=conversation_id,
                run_id=run.id,
                question=turn.question,
                spec=CouncilSpec.from_dict(run.council),
                turns=len(history),
            ),
            make_title=message.seq == 1 and conversation.title == DEFAULT_TITLE,
            simulated=self._simulated,
            resume=detail,
            privacy=run.privacy,
        )
        return ctx, turn.vault


def with_client_system_prompt(spec: CouncilSpec, system_prompt: str) -> CouncilSpec:
    """The members answer, and the Chairman writes, under the client's instructions too."""
    prompts = dict(spec.system_prompts)
    for stage in ("stage1", "stage3"):
        prompts[stage] = "\n\n".join(p for p in (prompts.get(stage, ""), system_prompt) if p)
    return dataclasses.replace(spec, system_prompts=prompts)
