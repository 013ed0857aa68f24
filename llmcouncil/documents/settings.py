"""The ``[documents]`` table: limits on uploaded files, context windows and image-capable models.

Kept light (no parser imports), so reading the configuration stays fast.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MB = 1024 * 1024

# About 32,000 tokens of English: a size every current chat model accepts, so a member whose
# window nobody stated still gets as much of a document as it can surely take.
DEFAULT_CONTEXT_CHARS = 120_000


class DocumentSettings(BaseModel):
    max_file_bytes: int = Field(
        default=25 * MB, ge=1, description="The largest file accepted (bytes), before reading."
    )
    max_image_bytes: int = Field(default=5 * MB, ge=1, description="The largest image accepted.")
    max_documents: int = Field(
        default=20, ge=1, description="Documents and images one conversation may hold."
    )
    max_chars: int = Field(
        default=5_000_000, ge=1, description="Characters of text one document may hold."
    )
    max_pages: int = Field(default=3_000, ge=1, description="Pages of a PDF read at most.")
    # Archives (EPUB, DOCX) are refused before anything is decompressed when their stated sizes
    # exceed these: a zip bomb is a few kilobytes that expand to gigabytes.
    max_uncompressed_bytes: int = Field(default=200 * MB, ge=1)
    max_compression_ratio: float = Field(default=100.0, gt=1)
    max_archive_entries: int = Field(default=10_000, ge=1)
    max_section_chars: int = Field(
        default=12_000,
        ge=500,
        description="A longer section is split into parts at paragraph breaks, so retrieval "
        "can choose among pieces that fit a context window.",
    )
    context_chars: int = Field(
        default=DEFAULT_CONTEXT_CHARS,
        ge=1_000,
        description="Characters of documents a member is sent at most when neither the "
        "provider's model list nor ``model_context_chars`` says its window.",
    )
    model_context_chars: dict[str, int] = Field(
        default_factory=dict,
        description='Per model reference ("provider:model" or the model id): characters of '
        "documents it is sent at most.",
    )
    vision: list[str] = Field(
        default_factory=list,
        description="Model references that accept images; the others are told an image was "
        "left out.",
    )
    extraction: Literal["process", "thread"] = Field(
        default="process",
        description='"process": files are read in a worker process, so a large PDF does not '
        'hold the server\'s interpreter; "thread": in a worker thread (embedding, tests).',
    )
    extraction_timeout: float = Field(
        default=120.0, gt=0, description="Seconds one file may take to read."
    )
    upload_wait: float = Field(
        default=300.0,
        ge=0,
        description="Where `council worker` processes read files: seconds a plain upload "
        "(without `Prefer: respond-async`) waits for a worker to read it before it is "
        "answered 202 `processing` and left to its job; the files of a `/v1` or MCP request "
        "are waited for as long in all, then refused (429) with nothing kept.",
    )
    summaries: Literal["on_demand", "background"] = Field(
        default="on_demand",
        description='"on_demand": a chapter\'s summary is written by the first reading-mode run '
        'that shows it (and charged to that run); "background": a background job summarises '
        "every chapter of a book as soon as it is read, charged to the conversation's owner, "
        "so reading mode shows them at once.",
    )
    summary_chars: int = Field(
        default=600, ge=100, description="Length of the stored summary of a chapter."
    )
