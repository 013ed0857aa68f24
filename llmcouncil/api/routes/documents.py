"""Documents of a conversation: upload (multipart), list, table of contents, sections, delete;
what each run was shown of them, with its citations; and reading mode ("discuss this chapter").

Stored text holds placeholders (the privacy guard ran before storing); what is shown here has
the originals restored from the conversation's vault, as messages do.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from llmcouncil.api.deps import RunsDep, StoreDep
from llmcouncil.api.guards import Asker, ReadableConversation, WritableConversation, actor_for_run
from llmcouncil.api.results import CouncilResult
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.council.transcript import result_payload
from llmcouncil.documents.citations import find_citations
from llmcouncil.documents.context import reading
from llmcouncil.documents.repository import StoredDocument, StoredSection
from llmcouncil.documents.service import DocumentService, document_service
from llmcouncil.errors import NotFoundError
from llmcouncil.privacy.vault import PiiVault

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in (users mode)"},
    403: {"model": ErrorBody, "description": "Role, scopes or council policy do not allow it"},
    404: {"model": ErrorBody, "description": "Unknown conversation or document"},
    422: {"model": ErrorBody, "description": "Invalid input"},
}
router = APIRouter(prefix="/api/conversations", tags=["documents"], responses=ERRORS)


class SectionEntry(BaseModel):
    """One entry of a table of contents."""

    id: int
    position: int = Field(description="Order in the document, from 0: the {n} of its URL")
    number: str = Field(description='How it is cited: "3.2" in [§3.2, p. 41]')
    title: str
    level: int = Field(description="1: a chapter, 2: a section of it …; 0: text before any")
    page_start: int | None = None
    page_end: int | None = None
    chars: int
    has_summary: bool


class SectionPublic(SectionEntry):
    document_id: str
    text: str
    summary: str | None = None


class DocumentPublic(BaseModel):
    id: str
    conversation_id: str
    kind: str = Field(description="pdf, epub, docx, html, markdown, text or image")
    media_type: str
    filename: str
    title: str
    size_bytes: int
    pages: int | None = None
    chars: int
    section_count: int
    chapters: int = Field(description="Top-level sections (chapters)")
    metadata: dict[str, Any]
    privacy: dict[str, Any] | None = None
    created_at: str
    status: str = Field(
        default="ready",
        description="processing (read in the background; poll this document until it changes), "
        "ready, or failed (error says why)",
    )
    error: dict[str, Any] | None = Field(
        default=None, description="{code, message}: why the file could not be read (failed)"
    )
    duplicate: bool = Field(
        default=False, description="True when the same file was already attached (not stored)"
    )


class DocumentDetail(DocumentPublic):
    contents: list[SectionEntry] = Field(description="The table of contents, in reading order")


class ShownDocument(BaseModel):
    document_id: str
    title: str
    description: str = Field(description='In words: "chapters 3–4 of 12", "all of it"')
    sections: list[dict[str, Any]]
    of: int = Field(description="Sections the document has")


class CitationPublic(BaseModel):
    text: str
    start: int
    end: int
    number: str
    page: int | None = None
    document_id: str | None = None
    section_id: int | None = None
    position: int | None = None
    link: str | None = Field(default=None, description="The cited section's URL, when known")


class CallCitations(BaseModel):
    stage: int
    model: str
    citations: list[CitationPublic]


class ImageSeen(BaseModel):
    """Who saw one image: the models that read images were sent it, the others were told it
    was left out."""

    document_id: str
    filename: str
    seen_by: list[str] = Field(description="The run's models that were sent the image")
    left_out_for: list[str] = Field(description="The run's models told it was left out")
    reason: str | None = Field(
        default=None, description="Why it was left out: the model does not read images, or policy"
    )


class ModelShare(BaseModel):
    """What one model with a larger window than the smallest was shown instead."""

    complete: bool = Field(description="False: some sections were left out for length")
    documents: list[ShownDocument]


class RunDocuments(BaseModel):
    run_id: str
    complete: bool = Field(description="False: some sections were left out for length")
    models: list[str] = Field(
        description="The run's models; each saw exactly these, unless by_model says otherwise"
    )
    documents: list[ShownDocument]
    by_model: dict[str, ModelShare] = Field(
        default_factory=dict,
        description="The models whose windows (and their fallbacks') take more of the "
        "documents than the smallest: what each of them saw instead",
    )
    images: list[ImageSeen] = Field(
        default_factory=list, description="Each image attached, and which models saw it"
    )
    images_left_out: list[str] = Field(
        description="Images that some model of the run was not sent (ids)"
    )
    dropped_turns: int = Field(description="Earlier turns left out of the history for length")
    focus: dict[str, Any] | None = None
    summaries_made: int = Field(
        default=0, description="Reading mode: chapter summaries this run had written (and kept)"
    )
    notes: list[str] = Field(
        default_factory=list, description="What could not be done, e.g. a summary left out"
    )
    citations: list[CallCitations]


class DiscussSection(BaseModel):
    """A question about one chapter (reading mode)."""

    content: str = Field(min_length=1, pattern=r"\S", description="Not empty or only spaces.")


async def documents_of(request: Request) -> DocumentService:
    runtime = request.app.state.runtime
    return document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )


def conversation_vault(service: DocumentService, conversation: Any) -> PiiVault:
    return service.vault(conversation.pii_vault, conversation_id=conversation.id)


def _entry(section: StoredSection) -> dict[str, Any]:
    return {
        "id": section.id,
        "position": section.position,
        "number": section.number,
        "title": section.title,
        "level": section.level,
        "page_start": section.page_start,
        "page_end": section.page_end,
        "chars": section.chars,
        "has_summary": section.summary is not None,
    }


def document_public(
    document: StoredDocument, vault: PiiVault, *, chapters: int = 0
) -> dict[str, Any]:
    return {
        "id": document.id,
        "conversation_id": document.conversation_id,
        "kind": document.kind,
        "media_type": document.media_type,
        "filename": vault.restore(document.filename),
        "title": vault.restore(document.title),
        "size_bytes": document.size_bytes,
        "pages": document.pages,
        "chars": document.chars,
        "section_count": document.section_count,
        "chapters": chapters,
        "metadata": document.meta,
        "privacy": document.privacy,
        "created_at": document.created_at.isoformat(),
        "status": document.status,
        "error": document.error,
    }


def chapter_count(sections: list[StoredSection]) -> int:
    return sum(1 for s in sections if s.level == 1 and "(part" not in s.number)


@router.get("/{conversation_id}/documents", response_model=list[DocumentPublic])
async def list_documents(
    conversation_id: str, request: Request, conversation: ReadableConversation
) -> list[dict[str, Any]]:
    service = await documents_of(request)
    vault = conversation_vault(service, conversation)
    documents = await service.documents.for_conversation(conversation_id)
    return [document_public(d, vault, chapters=chapter_count(d.sections or [])) for d in documents]


@router.get("/{conversation_id}/documents/{document_id}", response_model=DocumentDetail)
async def get_document(
    conversation_id: str, document_id: str, request: Request, conversation: ReadableConversation
) -> dict[str, Any]:
    service = await documents_of(request)
    vault = conversation_vault(service, conversation)
    document = await service.documents.get(conversation_id, document_id, sections=True)
    sections = document.sections or []
    contents = [{**_entry(s), "title": vault.restore(s.title)} for s in sections]
    return {
        **document_public(document, vault, chapters=chapter_count(sections)),
        "contents": contents,
    }


@router.get(
    "/{conversation_id}/documents/{document_id}/content",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}},
)
async def get_image(
    conversation_id: str, document_id: str, request: Request, _readable: ReadableConversation
) -> Response:
    service = await documents_of(request)
    document = await service.documents.get(conversation_id, document_id, data=True)
    if document.data is None:
        raise NotFoundError(f"document {document_id} keeps no file content (only its text)")
    return Response(document.data, media_type=document.media_type)


@router.get(
    "/{conversation_id}/documents/{document_id}/sections/{position}",
    response_model=SectionPublic,
)
async def get_section(
    conversation_id: str,
    document_id: str,
    position: int,
    request: Request,
    conversation: ReadableConversation,
) -> dict[str, Any]:
    service = await documents_of(request)
    vault = conversation_vault(service, conversation)
    _, section = await service.documents.section(conversation_id, document_id, position)
    return {
        **_entry(section),
        "document_id": document_id,
        "title": vault.restore(section.title),
        "text": vault.restore(section.text),
        "summary": vault.restore(section.summary) if section.summary else None,
    }


@router.delete("/{conversation_id}/documents/{document_id}", status_code=204)
async def delete_document(
    conversation_id: str, document_id: str, request: Request, _writable: WritableConversation
) -> Response:
    service = await documents_of(request)
    await service.documents.delete(conversation_id, document_id)
    return Response(status_code=204)


@router.get("/{conversation_id}/runs/{run_id}/documents", response_model=RunDocuments)
async def run_documents(
    conversation_id: str,
    run_id: str,
    request: Request,
    store: StoreDep,
    _readable: ReadableConversation,
) -> dict[str, Any]:
    """What the run was shown of the documents (the same sections for each of its models;
    each image only to those that read images), the turns left out of its history, and the
    citations in its answers linked to their sections."""
    service = await documents_of(request)
    contexts = await service.documents.contexts(conversation_id)
    if run_id not in contexts:
        raise NotFoundError(f"run {run_id} was shown no documents")
    context = contexts[run_id]
    detail = await store.get_run(run_id)
    documents = await service.documents.for_conversation(conversation_id)
    citations = [
        {
            "stage": call.stage,
            "model": call.model,
            "citations": [c.as_dict(conversation_id) for c in find_citations(call.text, documents)],
        }
        for call in detail.calls
        if call.ok and call.stage in (1, 3)
    ]
    return {
        "run_id": run_id,
        "complete": context.get("complete", True),
        "models": context.get("models", []),
        "documents": context.get("documents", []),
        "by_model": context.get("by_model", {}),
        "images": context.get("images", []),
        "images_left_out": context.get("images_left_out", []),
        "dropped_turns": context.get("dropped_turns", 0),
        "focus": context.get("focus"),
        "summaries_made": context.get("summaries_made", 0),
        "notes": context.get("notes", []),
        "citations": citations,
    }


@router.post(
    "/{conversation_id}/documents/{document_id}/sections/{position}/discuss",
    response_model=CouncilResult,
    response_model_exclude_unset=True,
    responses={413: {"model": ErrorBody}, 502: {"model": ErrorBody}},
)
async def discuss_section(
    conversation_id: str,
    document_id: str,
    position: int,
    body: DiscussSection,
    request: Request,
    runs: RunsDep,
    principal: Asker,
) -> Any:
    """Reading mode: the council discusses one chapter (the section at ``position`` and its
    subsections), with the stored summaries of the chapters before it."""
    service = await documents_of(request)
    focus = await service.focus(conversation_id, document_id, position)
    with reading(focus):
        handle = await runs.start(
            conversation_id=conversation_id,
            content=body.content,
            actor=actor_for_run(principal, request),
            stream_tokens=False,
            may_write=principal.may_change_conversation,
        )
    result = result_payload(await handle.result())
    if result["status"] == "failed":
        error = dict(result["error"] or {"code": "council_failed", "message": "the run failed"})
        return JSONResponse({"detail": {**error, "run_id": result["run_id"]}}, status_code=502)
    return result
