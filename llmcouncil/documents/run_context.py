"""The one hook run preparation calls: a run's history with the conversation's documents
pinned ahead of it, and the record of what the run was shown.

The documents never go through the history budget (``limits.max_history_chars``); the turns it
leaves out are counted, and the count is recorded with the run (``document_contexts``), so the
API can tell the user that older turns were not sent (``GET …/runs/{id}/documents``).

In reading mode (``service.reading_focus``) the chapters before the one discussed that have no
summary get one first (``summaries``), written by the preset's title model; those calls are
recorded with the run as stage 0, like the title, so the usage ledger accounts for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from llmcouncil.config import Settings
from llmcouncil.documents.context import reading_focus
from llmcouncil.documents.pinned import PinnedContext
from llmcouncil.documents.service import document_service
from llmcouncil.documents.summaries import summary_writer
from llmcouncil.documents.vision import ModelHistories
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.providers.base import ChatMessage
from llmcouncil.store.repository import Store


@dataclass(frozen=True, slots=True)
class HistorySent:
    """The run's history: ``messages`` (its documents within the smallest window, images left
    out) for every call, and ``histories`` (None: none) for the models sent one of their own:
    those that read images, and those whose windows take more of the documents."""

    messages: list[ChatMessage]
    histories: ModelHistories | None = None


async def with_documents(
    history: list[ChatMessage],
    *,
    store: Store,
    privacy: PrivacyGuard,
    settings: Settings,
    conversation_id: str,
    run_id: str,
    question: str,
    members: Sequence[str],
    chairman: str,
    turns: int,
    callers: Sequence[str] = (),
    preset: str | None = None,
    image_models: Sequence[str] | None = None,
    chains: Mapping[str, Sequence[str]] | None = None,
) -> HistorySent:
    """``history`` (``turns`` stored turns before the budget) with the documents ahead of it.
    ``callers``: the other models the run may send it to (fallbacks, a sample model), which
    are sent the images too when they read them; ``preset``: whose pii_policy applies;
    ``image_models``: the models the record says saw an image or not (default: members and
    chairman), as the mode calls them."""
    service = document_service(store=store, privacy=privacy, settings=settings)
    models = [*members, chairman]
    writer = (
        summary_writer(
            settings, (await store.get_conversation(conversation_id)).preset, chairman=chairman
        )
        if reading_focus.get() is not None
        else None
    )
    pinned = await service.pinned(
        conversation_id,
        question=question,
        models=models,
        members=models,
        summary_writer=writer,
        callers=callers,
        preset=preset,
        image_models=image_models,
        chains=chains,
    )
    if pinned is not None and pinned.summaries.records:
        # Recorded with the run (stage 0, as the title), so the ledger accounts for them.
        await store.record_stage(run_id, stage=0, calls=pinned.summaries.records)
    dropped = max(turns - len(history) // 2, 0)
    if pinned is None and not dropped:
        return HistorySent(history)
    record = (
        pinned.record(dropped_turns=dropped, focus=reading_focus.get())
        if pinned is not None
        else {
            "complete": True,
            "documents": [],
            "images": [],
            "images_left_out": [],
            "models": models,
            "focus": None,
            "dropped_turns": dropped,
        }
    )
    await service.documents.record_context(
        run_id=run_id, conversation_id=conversation_id, context=record
    )
    if pinned is None:
        return HistorySent(history)
    return HistorySent([*pinned.context.messages, *history], _own_histories(pinned, history))


def _own_histories(pinned: PinnedContext, history: list[ChatMessage]) -> ModelHistories | None:
    """The histories of the models that read images (the documents' message with the images)
    and of those with a larger share of the documents (``PinnedContext.wider``)."""
    readers = pinned.readers if pinned.context.image_messages else frozenset()
    own: dict[str, list[ChatMessage]] = {}
    needs: dict[str, tuple[int, bool]] = {}
    for model in dict.fromkeys([*readers, *pinned.wider]):
        context = pinned.wider.get(model)
        reads = model in readers
        shown = context or pinned.context
        lead = shown.image_messages if reads and shown.image_messages else shown.messages
        own[model] = [*lead, *history]
        # A fallback must take what this history carries: its share, and its images.
        needs[model] = (context.budget_chars if context else 0, reads)
    if not own:
        return None
    takes = {m: (chars, m in pinned.readers) for m, chars in pinned.budgets.items()}
    return ModelHistories(own=own, needs=needs, takes=takes)
