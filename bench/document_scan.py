"""Server time a 100,000-character document adds before the first upstream call.

    .venv/bin/python bench/document_scan.py                 # 100k characters
    .venv/bin/python bench/document_scan.py --chars 400000 --runs 5

A Markdown book of chapters (prose with an e-mail and a phone number every ~2,000 characters)
goes through what an upload does: reading into sections, the privacy scan and redaction of
every section under the conversation's vault (``documents.redaction``). Then, per question,
what run preparation adds: reading the stored sections and choosing what fits the council's
window (``context.build_context``, BM25 when it does not fit). Prints CPU and wall seconds of
each step (best of ``--runs``); docs/PERFORMANCE.md keeps the numbers of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.documents.context import build_context
from llmcouncil.documents.formats import extract
from llmcouncil.documents.model import ExtractedDocument
from llmcouncil.documents.redaction import redact_texts
from llmcouncil.documents.repository import StoredDocument, StoredSection
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.privacy.policy import PrivacyGuard

WORDS = (
    "the council read a chapter of the book and argued about its meaning while the harbour "
    "lights burned late into the night and the keeper wrote letters to the orchard"
).split()


def book(chars: int, *, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    chapter = 0
    while size < chars:
        if size // 10_000 >= chapter:
            chapter += 1
            parts.append(f"\n# Chapter {chapter}\n\n")
        sentence = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + ". "
        if rng.random() < 0.05:
            sentence += f"Write to reader{rng.randrange(10**6)}@example.org or call "
            sentence += f"+44 20 7946 {rng.randrange(1000, 9999)}. "
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts).encode()


async def timed(label: str, runs: int, work: Callable[[], Awaitable[Any]]) -> Any:
    best_cpu = best_wall = float("inf")
    result = None
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        result = await work()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    print(f"{label:<44} cpu {best_cpu:7.3f} s   wall {best_wall:7.3f} s")
    return result


def stored(document: ExtractedDocument, texts: list[str]) -> StoredDocument:
    sections = [
        StoredSection(
            id=i,
            document_id="d",
            position=s.index,
            number=s.number,
            title=s.title,
            level=s.level,
            page_start=s.page_start,
            page_end=s.page_end,
            chars=len(text),
            text=text,
            summary=None,
        )
        for i, (s, text) in enumerate(zip(document.sections, texts, strict=True))
    ]
    return StoredDocument(
        id="d",
        conversation_id="c",
        kind=document.kind,
        media_type=document.media_type,
        filename="book.md",
        title=document.title,
        content_hash="",
        size_bytes=0,
        pages=None,
        chars=sum(s.chars for s in sections),
        section_count=len(sections),
        meta={},
        privacy=None,
        created_at=None,
        sections=sections,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    guard = PrivacyGuard.in_memory(settings)
    guard.detector.find("warm up: a@example.org")
    data = book(args.chars)
    doc_settings = DocumentSettings()

    async def read() -> ExtractedDocument:
        document = extract(data, filename="book.md", content_type=None, settings=doc_settings)
        assert isinstance(document, ExtractedDocument)
        return document

    print(f"a Markdown book of {len(data):,} characters")
    document = await timed("read into sections", args.runs, read)
    texts = [s.text for s in document.sections]

    async def scan() -> Any:
        return await redact_texts(
            guard,
            texts,
            conversation_id="c",
            vault_token=None,
            policy="redact",
            secrets_refused=False,
        )

    redacted = await timed(f"privacy scan + redaction ({len(texts)} sections)", args.runs, scan)
    print(f"  redactions: {redacted.counts}")
    kept = stored(document, redacted.texts)

    async def fits() -> Any:
        return build_context([kept], question="What did the keeper write?", budget_chars=10**7)

    async def retrieves() -> Any:
        return build_context([kept], question="What did the keeper write?", budget_chars=30_000)

    await timed("per question: whole document fits", args.runs, fits)
    chosen = await timed("per question: BM25 choice within 30,000", args.runs, retrieves)
    print(f"  shown: {chosen.descriptions['d']}")


if __name__ == "__main__":
    asyncio.run(main())
