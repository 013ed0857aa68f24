"""Conversations an API client opens with its own earlier turns (``/v1/chat/completions``).

The client's (question, answer) pairs are redacted by the privacy guard, then stored as
finished, never-run runs whose ``final`` is the client's answer in the stage-3 shape, so the
stored conversation reads as the client's dialogue and follow-ups carry it as history.
"""

from __future__ import annotations

from collections.abc import Sequence

from llmcouncil.council.final_answer import FinalAnswer
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.privacy.settings import PiiPolicy
from llmcouncil.store.repository import Store

_TITLE_CHARS = 80


async def seed_conversation(
    *,
    store: Store,
    privacy: PrivacyGuard,
    conversation_id: str,
    content: str,
    history: Sequence[tuple[str, str]],
    system_prompt: str | None,
    policy: PiiPolicy,
) -> None:
    """Store the vault, the title and the client's earlier turns of a new conversation."""
    # The client's turns and the title are redacted before they are stored; the run then
    # protects the question and system prompt itself, with the same vault.
    turn = await privacy.protect(
        conversation_id=conversation_id,
        vault_token=None,
        question=content,
        history=history,
        system_prompt=system_prompt,
        policy=policy,
    )
    history = turn.history
    if turn.vault_write is not None:
        # Over the empty vault of a conversation no one else knows of yet: no retry needed.
        await store.save_vault(conversation_id, turn.vault_write)
    await store.set_title(conversation_id, _title(history, turn.question))
    if history:
        turns = [
            (question, FinalAnswer.seeded_from(answer).as_dict()) for question, answer in history
        ]
        await store.seed_history(conversation_id, turns)


def _title(history: Sequence[tuple[str, str]], content: str) -> str:
    first = " ".join((history[0][0] if history else content).split())
    return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1].rstrip() + "…"
