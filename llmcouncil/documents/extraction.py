"""Reading files off the event loop: in a worker process (default) or a worker thread.

pypdf and the other readers are pure-Python CPU work: a 300-page PDF takes seconds. In a thread
it would still hold the interpreter lock against the event loop (every other user's council),
so by default files are read in a separate process from a small pool (spawned, not forked: the
server has threads). The worker caps its own address space, so a file that expands past every
other check fails there with a memory error instead of taking the server down.

Errors cross the process boundary as a plain ``Refusal`` (exceptions with keyword-only
arguments do not pickle faithfully) and are raised again here as the error tree's own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import multiprocessing
from dataclasses import dataclass

from llmcouncil.documents.formats import extract
from llmcouncil.documents.model import ExtractedDocument, ExtractedImage
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import (
    ContentTooLargeError,
    CouncilError,
    DocumentRejectedError,
    UnsupportedMediaTypeError,
)

log = logging.getLogger(__name__)

WORKER_MEMORY_BYTES = 2 * 1024**3

Extracted = ExtractedDocument | ExtractedImage


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: str  # "too_large", "unsupported", "rejected"
    message: str
    code: str

    def error(self) -> CouncilError:
        if self.kind == "too_large":
            return ContentTooLargeError(self.message)
        if self.kind == "unsupported":
            return UnsupportedMediaTypeError(self.message)
        return DocumentRejectedError(self.message, code=self.code)


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):  # not on this platform: the other checks stand
        pass


def extract_or_refuse(
    data: bytes, *, filename: str, content_type: str | None, settings: DocumentSettings
) -> Extracted | Refusal:
    """``extract``, with every refusal returned as a ``Refusal``; runs in the worker."""
    try:
        return extract(data, filename=filename, content_type=content_type, settings=settings)
    except ContentTooLargeError as exc:
        return Refusal("too_large", exc.message, exc.code)
    except UnsupportedMediaTypeError as exc:
        return Refusal("unsupported", exc.message, exc.code)
    except DocumentRejectedError as exc:
        return Refusal("rejected", exc.message, exc.code)
    except MemoryError:
        return Refusal(
            "rejected",
            f"{filename!r} needs more memory to read than a file may use",
            "archive_bomb",
        )
    except RecursionError:
        return Refusal("rejected", f"{filename!r} is nested too deeply to read", "document_corrupt")


class DocumentReader:
    """Reads files for the server; one per process, closed at shutdown."""

    def __init__(self, settings: DocumentSettings) -> None:
        self._settings = settings
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.Executor | None:
        if self._settings.extraction == "thread":
            return None  # the loop's default thread pool
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_memory,
            )
        return self._pool

    async def read(self, data: bytes, *, filename: str, content_type: str | None) -> Extracted:
        work = functools.partial(
            extract_or_refuse,
            data,
            filename=filename,
            content_type=content_type,
            settings=self._settings,
        )
        loop = asyncio.get_running_loop()
        try:
            result = await asyncio.wait_for(
                loop.run_in_executor(self._executor(), work),
                timeout=self._settings.extraction_timeout,
            )
        except TimeoutError as exc:
            self._discard_pool()
            raise DocumentRejectedError(
                f"{filename!r} took longer than {self._settings.extraction_timeout:.0f} s to "
                "read and was refused",
                code="document_too_slow",
            ) from exc
        except concurrent.futures.process.BrokenProcessPool as exc:
            self._discard_pool()
            raise DocumentRejectedError(
                f"reading {filename!r} crashed its worker; the file was refused",
                code="document_corrupt",
            ) from exc
        if isinstance(result, Refusal):
            raise result.error()
        return result

    def _discard_pool(self) -> None:
        """A worker stuck on a hostile file is left behind; the next file gets a fresh one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
