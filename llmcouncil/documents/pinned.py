"""What a run was shown of its conversation's documents: the selection for the smallest window
among its models, a larger one for each model whose window takes more, and the record.

``larger_shares`` builds one selection per distinct larger size, and only when the smallest
window leaves something out: a model whose window, and each of its fallbacks', takes more is
sent its own share; the record names the common selection once with the models, and what each
of those models saw instead (``by_model``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.documents.context import DocumentContext, Focus, build_context
from llmcouncil.documents.repository import StoredDocument
from llmcouncil.documents.summaries import SummaryOutcome
from llmcouncil.documents.vision import ImageRecord


def larger_shares(
    documents: Sequence[StoredDocument],
    smallest: DocumentContext,
    *,
    shares: Mapping[str, int],
    question: str,
    focus: Focus | None,
    show_images: bool,
) -> dict[str, DocumentContext]:
    """model → its larger selection, for the models whose ``shares`` (characters) take more than
    ``smallest`` was built for and see more sections with it."""
    if smallest.complete:
        return {}
    built: dict[int, DocumentContext | None] = {}
    wider: dict[str, DocumentContext] = {}
    for model, share in shares.items():
        if share <= smallest.budget_chars:
            continue
        if share not in built:
            built[share] = build_context(
                documents,
                question=question,
                budget_chars=share,
                focus=focus,
                show_images=show_images,
            )
        larger = built[share]
        if larger is not None and larger.shown != smallest.shown:
            wider[model] = larger
    return wider


@dataclass(slots=True)
class PinnedContext:
    context: DocumentContext
    documents: list[StoredDocument]
    members: list[str]
    summaries: SummaryOutcome = field(default_factory=SummaryOutcome)
    # The run's models that are sent the images, and who saw each image.
    readers: frozenset[str] = frozenset()
    images: list[ImageRecord] = field(default_factory=list)
    # A larger share of the documents for the models whose windows (with their fallbacks')
    # take more than the smallest one, and every model's share in characters.
    wider: dict[str, DocumentContext] = field(default_factory=dict)
    budgets: dict[str, int] = field(default_factory=dict)

    def record(self, *, dropped_turns: int = 0, focus: Focus | None = None) -> dict[str, Any]:
        """The sections the run's models were shown within the smallest window, once, with the
        models it applies to; ``by_model``: what each model with a larger window saw instead;
        images each with the models that saw it and those that did not."""
        by_model = {}
        for model, context in self.wider.items():
            shown = context.record(self.documents)
            by_model[model] = {
                key: shown[key] for key in ("complete", "budget_chars", "used_chars", "documents")
            }
        return {
            **self.context.record(self.documents),
            "by_model": by_model,
            "images": [image.as_dict() for image in self.images],
            "images_left_out": [i.document_id for i in self.images if i.left_out_for],
            "models": self.members,
            "focus": {"document_id": focus.document_id, "section": focus.number} if focus else None,
            "dropped_turns": dropped_turns,
            "summaries_made": len(self.summaries.made),
            "notes": list(self.summaries.missing),
        }
