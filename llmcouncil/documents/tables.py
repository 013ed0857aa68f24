"""Tables of documents, their sections and what each run was shown (migration 0006_documents).

Documents belong to a conversation and go with it (``ON DELETE CASCADE``); a file is stored once
per conversation (``content_hash``, the SHA-256 of its bytes). Section text is stored redacted:
placeholders only, as in messages; the conversation's vault maps them back. An image keeps its
bytes (``data``), as only an image-capable model can read it. ``document_contexts`` records, per
run, which sections and images each member was sent and which earlier turns were left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from llmcouncil.store.tables import Base, utcnow


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("conversation_id", "content_hash"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # pdf, epub, docx, html, markdown, text, image
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    chars: Mapped[int] = mapped_column(Integer, default=0)
    section_count: Mapped[int] = mapped_column(Integer, default=0)
    # {"author", "language", "width", "height"}: what the file said about itself.
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    # {"policy", "redactions": {entity type: count}}: what the privacy guard did to the text.
    privacy: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # processing (its extraction job not done), ready, failed (migration 0015_document_status)
    status: Mapped[str] = mapped_column(String(12), default="ready", server_default="ready")
    error: Mapped[dict[str, Any] | None] = mapped_column()  # {code, message} when failed


class DocumentSectionRow(Base):
    __tablename__ = "document_sections"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order in the document, from 0
    number: Mapped[str] = mapped_column(String(40))  # "3.2": how it is cited
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[int] = mapped_column(Integer)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    chars: Mapped[int] = mapped_column(Integer)
    # A short summary made once by a model for reading mode (redacted like the text).
    summary: Mapped[str | None] = mapped_column(Text)


class DocumentContextRow(Base):
    """What one run was shown of its conversation's documents, member by member."""

    __tablename__ = "document_contexts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # {"members": {model: {"sections": [...], "images": [...], "complete": bool}},
    #  "dropped_turns": n, "section": focus or None}
    context: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


DOCUMENTS = Base.metadata.tables[DocumentRow.__tablename__]
DOCUMENT_SECTIONS = Base.metadata.tables[DocumentSectionRow.__tablename__]
DOCUMENT_CONTEXTS = Base.metadata.tables[DocumentContextRow.__tablename__]
