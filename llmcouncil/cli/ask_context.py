"""What ``council ask`` asks about: a new or continued conversation, and the files it attaches.

Files go through the same ``DocumentService`` as the API's upload (read off the loop, redacted,
stored with their sections), so a refused file gives the same reason as the API's 4xx, as an
error line and exit code 2 (``cli.main``). A refusal in a conversation ``ask`` opened removes it:
a refused command leaves nothing stored.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmcouncil.cli.conversations import matching_ids
from llmcouncil.errors import CouncilError, NotFoundError, ValidationFailedError

if TYPE_CHECKING:
    from llmcouncil.api.runtime import Runtime
    from llmcouncil.documents.repository import StoredDocument


@dataclass(frozen=True, slots=True)
class Target:
    conversation_id: str
    created: bool  # opened by this command: removed again when a file is refused


def check_options(
    conversation: str | None,
    *,
    preset: str | None,
    members: list[str] | None,
    chairman: str | None,
) -> None:
    """A continued conversation keeps the council it was started with."""
    if conversation is not None and (preset or members or chairman):
        raise ValidationFailedError(
            "--conversation continues a conversation with its own council; "
            "leave out --preset, --models and --chairman"
        )


def read_files(paths: list[Path]) -> list[tuple[Path, bytes]]:
    """Every file read before anything is stored (a missing one stores nothing)."""
    read: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            read.append((path, path.read_bytes()))
        except FileNotFoundError as exc:
            raise NotFoundError(f"{path}: no such file") from exc
        except IsADirectoryError as exc:
            raise ValidationFailedError(f"{path} is a directory; give a file") from exc
        except OSError as exc:
            raise ValidationFailedError(f"{path} cannot be read: {exc.strerror}") from exc
    return read


async def conversation_for(
    runtime: Runtime,
    given: str | None,
    *,
    preset: str | None,
    members: list[str] | None,
    chairman: str | None,
) -> Target:
    """``given`` (an id or a unique start of one), else a new conversation."""
    store = runtime.store
    if given is None:
        conversation = await store.create_conversation(
            preset=preset, members=members, chairman=chairman, source="cli"
        )
        return Target(conversation.id, created=True)
    try:
        return Target((await store.get_conversation(given)).id, created=False)
    except NotFoundError:
        pass
    ids = [s.conversation.id for s in await store.list_conversations(limit=1_000_000)]
    return Target(matching_ids(given, ids), created=False)


async def attach_files(
    runtime: Runtime,
    target: Target,
    files: list[tuple[Path, bytes]],
    *,
    report: Callable[[str], None],
) -> None:
    """Attach ``files`` in order; on a refusal, say which file and why (and drop a new
    conversation)."""
    if not files:
        return
    # Imported here: the document service loads the PII detector (a second of imports) that
    # every other command, and `council --help`, can do without.
    from llmcouncil.documents.service import document_service

    service = document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )
    try:
        for path, data in files:
            try:
                if not data:
                    raise ValidationFailedError("the file is empty")
                attached = await service.attach(
                    target.conversation_id,
                    data,
                    filename=path.name,
                    content_type=mimetypes.guess_type(path.name)[0],
                )
            except CouncilError as exc:
                if target.created:
                    await runtime.store.delete_conversation(target.conversation_id)
                exc.message = f"{path}: {exc.message}"
                exc.args = (exc.message,)
                raise
            report(_attached_line(path, attached.document, duplicate=not attached.created))
    finally:
        await service.aclose()


def _attached_line(path: Path, document: StoredDocument, *, duplicate: bool) -> str:
    pages = f"{document.pages} pages, " if document.pages else ""
    what = "already attached" if duplicate else "attached"
    return f"{what} {path.name} ({document.kind}, {pages}{document.section_count} sections)"
