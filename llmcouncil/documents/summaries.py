"""Short summaries of a book's chapters, made once by a model and kept with their sections.

Reading mode ("discuss chapter 5") shows the chapter with the summaries of the chapters before
it. They are made lazily, the first time a later chapter is discussed, for the earlier chapters
that have none yet, a few at a time; stored, they are reused by every later discussion. The
model is the preset's title model (else the chairman), called through the ``ModelCaller`` like
any call of the run (retries, fallbacks, circuit breakers), and each call is recorded with the
run (stage 0, as the title is) so its usage is accounted. The text summarised is the stored,
already redacted text, so a summary holds placeholders, never originals. A summary that cannot
be made is left out with a note in the run's record; it never fails the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmcouncil.config import Settings
from llmcouncil.documents.context import Focus, chapter_of, in_focus
from llmcouncil.documents.repository import StoredDocument, StoredSection
from llmcouncil.providers.base import ChatMessage
from llmcouncil.records import CallRecord, Stage
from llmcouncil.resilience.calls import CallPlan, ModelCaller

SUMMARY_MARKER = "Summarise this chapter of a book"
MAX_CHAPTER_CHARS = 40_000  # of a chapter's text sent to be summarised (its opening part)
CONCURRENCY = 3


@dataclass(frozen=True, slots=True)
class SummaryModel:
    """Who writes the summaries: the title model, then the chairman when it fails."""

    model: str
    fallbacks: tuple[str, ...] = ()
    preset: str | None = None


@dataclass(slots=True)
class SummaryOutcome:
    records: list[CallRecord] = field(default_factory=list)  # to be recorded with the run
    made: dict[int, str] = field(default_factory=dict)  # section id → summary
    missing: list[str] = field(default_factory=list)  # notes on the ones that could not be made


def summary_messages(title: str, text: str, *, max_chars: int) -> tuple[ChatMessage, ...]:
    cut = text[:MAX_CHAPTER_CHARS]
    more = "\n\n[… the rest of the chapter is not shown]" if len(text) > len(cut) else ""
    prompt = (
        f"{SUMMARY_MARKER} in at most {max_chars} characters: who and what it is about and "
        "what happens or is argued, in plain sentences. Keep any placeholder such as "
        "<PERSON_1> exactly as written. Answer with the summary only.\n\n"
        f"Chapter: {title}\n\n{cut}{more}"
    )
    return (ChatMessage("user", prompt),)


def clean_summary(text: str, *, max_chars: int) -> str:
    words = " ".join(text.split())
    if len(words) <= max_chars:
        return words
    cut = words[: max_chars - 1]
    return cut[: cut.rfind(" ")].rstrip() + "…" if " " in cut else cut + "…"


def chapters_wanting_summaries(
    document: StoredDocument, focus: Focus
) -> list[tuple[StoredSection, str]]:
    """The chapters before the one in focus that have no summary, each with its whole text
    (the chapter's own section, its subsections and parts)."""
    sections = document.sections or []
    first = next((s.position for s in sections if in_focus(s, focus.number)), None)
    return [] if first is None else _wanting(sections, first)


def chapters_before_the_last(document: StoredDocument) -> list[tuple[StoredSection, str]]:
    """Every chapter but the last that has no summary: all that reading mode can show (a
    chapter's summary is shown while a later one is discussed)."""
    sections = document.sections or []
    last = max((s.position for s in sections if _is_chapter(s)), default=None)
    return [] if last is None else _wanting(sections, last)


def _is_chapter(section: StoredSection) -> bool:
    return section.level <= 1 and "(part" not in section.number


def _wanting(sections: Sequence[StoredSection], first: int) -> list[tuple[StoredSection, str]]:
    """The chapters among ``sections[:first]`` without a summary, each with its whole text."""
    texts: dict[str, list[str]] = {}
    for section in sections[:first]:
        texts.setdefault(chapter_of(section), []).append(section.text)
    return [
        (s, "\n\n".join(texts.get(chapter_of(s), [s.text])))
        for s in sections[:first]
        if _is_chapter(s) and s.summary is None and s.chars > 0
    ]


def summary_writer(settings: Settings, preset: str | None, *, chairman: str) -> SummaryModel:
    """``preset``'s title model (the default preset's when it names no configured one), with
    ``chairman`` as the fallback, or ``chairman`` alone."""
    name = preset or settings.default_preset
    title_model = settings.presets[name].title_model if name in settings.presets else None
    model = title_model or chairman
    fallbacks = (chairman,) if chairman != model else ()
    return SummaryModel(model=model, fallbacks=fallbacks, preset=name)


class ChapterSummaries:
    def __init__(self, caller: ModelCaller, *, max_chars: int, concurrency: int = CONCURRENCY):
        self._caller = caller
        self._max_chars = max_chars
        self._limit = asyncio.Semaphore(concurrency)

    async def make(
        self, documents: Sequence[StoredDocument], focus: Focus, *, writer: SummaryModel
    ) -> SummaryOutcome:
        """Summaries of the chapters before ``focus`` that lack one; the sections in
        ``documents`` get theirs set, so the context built next shows them."""
        document = next((d for d in documents if d.id == focus.document_id), None)
        wanted = chapters_wanting_summaries(document, focus) if document else []
        return await self.summarise(wanted, writer=writer)

    async def summarise(
        self, wanted: Sequence[tuple[StoredSection, str]], *, writer: SummaryModel
    ) -> SummaryOutcome:
        """A summary of each (chapter, its text), ``concurrency`` at a time; the sections get
        theirs set."""
        outcome = SummaryOutcome()
        if not wanted:
            return outcome
        records = await asyncio.gather(
            *(self._summarise(section, text, writer=writer) for section, text in wanted)
        )
        for (section, _), record in zip(wanted, records, strict=True):
            outcome.records.append(record)
            summary = clean_summary(record.text, max_chars=self._max_chars) if record.ok else ""
            if summary:
                section.summary = summary
                outcome.made[section.id] = summary
            else:
                reason = record.failure.message if record.failure else "an empty answer"
                outcome.missing.append(
                    f"no summary of §{section.number} {section.title} could be made ({reason})"
                )
        return outcome

    async def _summarise(
        self, section: StoredSection, text: str, *, writer: SummaryModel
    ) -> CallRecord:
        plan = CallPlan(
            stage=Stage.TITLE,
            model=writer.model,
            watched=False,
            messages=summary_messages(section.title, text, max_chars=self._max_chars),
            fallbacks=writer.fallbacks,
            max_tokens=max(self._max_chars // 2, 200),
            preset=writer.preset,
            total_timeout=self._caller.policies.title_timeout,
            details={"summary_of": {"document_id": section.document_id, "section": section.id}},
        )
        async with self._limit:
            return await self._caller.call(plan)
