"""``POST /api/conversations/{id}/documents``: attaching a file to a conversation.

Read in the request (201), or, with ``Prefer: respond-async``, stored ``processing`` and read by
the background job ``document`` (202; documents/processing.py). Where ``council worker``
processes read files, a plain upload is read by a worker too, and the request waits for it
(documents/worker_reads.py). Size, type and an empty file are refused in the request either
way, before anything is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Request, UploadFile
from fastapi.responses import JSONResponse

from llmcouncil.api.guards import WritableConversation
from llmcouncil.api.routes.documents import (
    ERRORS,
    DocumentPublic,
    chapter_count,
    conversation_vault,
    document_public,
    documents_of,
)
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.documents.processing import PROCESSING
from llmcouncil.documents.worker_reads import read_by_worker
from llmcouncil.errors import ContentTooLargeError, ValidationFailedError

UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The conversation holds its maximum of documents"},
    413: {"model": ErrorBody, "description": "The file is past documents.max_file_bytes"},
    415: {"model": ErrorBody, "description": "Not PDF, EPUB, DOCX, HTML, Markdown, text or image"},
    422: {
        "model": ErrorBody,
        "description": "The file cannot be read safely: code document_encrypted, "
        "document_corrupt, document_no_text (a scan: OCR is not supported), archive_bomb, or "
        "pii_blocked under a blocking privacy policy",
    },
}
router = APIRouter(prefix="/api/conversations", tags=["documents"], responses=ERRORS)
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})\b", re.IGNORECASE)


@router.post(
    "/{conversation_id}/documents",
    status_code=201,
    response_model=DocumentPublic,
    responses={
        200: {"model": DocumentPublic, "description": "Already attached"},
        202: {
            "model": DocumentPublic,
            "description": "With `Prefer: respond-async` (or when the workers reading files "
            "did not finish within `documents.upload_wait`): stored `processing`, read by a "
            "background job; poll GET …/documents/{id} until `ready` or `failed`",
        },
        **UPLOAD_ERRORS,
    },
)
async def upload_document(
    conversation_id: str,
    file: Annotated[UploadFile, File(description="The document or image")],
    request: Request,
    _writable: WritableConversation,
    prefer: Annotated[
        str | None,
        Header(
            description="`respond-async`: read the file in a background job (202); `wait=N`: "
            "where workers read files, wait at most N seconds for the read"
        ),
    ] = None,
) -> Any:
    service = await documents_of(request)
    limit = service.settings.max_file_bytes
    if file.size is not None and file.size > limit:
        raise ContentTooLargeError(f"the file is {file.size} bytes; the limit is {limit} bytes")
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ContentTooLargeError(f"the file is over {limit} bytes, the limit")
    if not data:
        raise ValidationFailedError("the file is empty")
    filename = file.filename or "document"
    asked_async = "respond-async" in (prefer or "").lower()
    background = asked_async
    uploads = request.app.state.runtime.document_uploads
    if background:
        submitted = await uploads.submit(
            conversation_id, data, filename=filename, content_type=file.content_type
        )
        document, created = submitted.document, submitted.created
    elif uploads.by_workers:
        asked = _WAIT.search(prefer or "")  # RFC 7240's wait=N: no longer than the client asks
        wait = service.settings.upload_wait
        submitted = await read_by_worker(
            uploads,
            conversation_id,
            data,
            filename=filename,
            content_type=file.content_type,
            wait=min(wait, float(asked.group(1))) if asked else wait,
        )
        document, created = submitted.document, submitted.created
        background = document.status == PROCESSING  # not read within the wait: left to its job
    else:
        attached = await service.attach(
            conversation_id, data, filename=filename, content_type=file.content_type
        )
        document, created = attached.document, attached.created
    detail = await service.documents.get(conversation_id, document.id, sections=True)
    conversation = await service.store.get_conversation(conversation_id)
    body = {
        **document_public(
            detail,
            conversation_vault(service, conversation),
            chapters=chapter_count(detail.sections or []),
        ),
        "duplicate": not created,
    }
    headers = {"Preference-Applied": "respond-async"} if asked_async else None
    if not created:
        return JSONResponse(body, status_code=200, headers=headers)
    return JSONResponse(body, status_code=202 if background else 201, headers=headers)
