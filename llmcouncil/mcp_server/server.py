"""The MCP tools, on the official SDK's ``MCPServer``; one server for stdio and for ``/mcp``.

``consult_council`` runs a whole council on a new stored conversation and returns the final
answer with a compact summary of the peer ranking and the reviewers' (dis)agreement, as text for
the calling model and as structured content for programs. Long councils report progress per stage
(clients that send a progress token see it, and many reset their request timeout on it). If the
client cancels the call, the run is released like a closed stream: cancelled, unless
``on_disconnect = "continue"``.

Over HTTP (``McpEndpoint``, at ``/mcp``) the SDK's session manager, an ASGI app, is reached
through an ordinary FastAPI route whose response hands the request's ASGI channels to it, so the
route takes the same dependencies (the auth guard) as every other route, shows in the OpenAPI
route list, and errors before the hand-over (401, 403) come from the app's own handlers. The
manager runs stateless (every request stands alone), so any worker behind a load balancer can
answer any request. Bound to a loopback address, it also checks Host and Origin headers against
DNS rebinding, as the SDK does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.params import Depends
from fastapi.responses import Response
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llmcouncil.api.runtime import Runtime
from llmcouncil.council.events import EventType
from llmcouncil.council.simulated import marked
from llmcouncil.council.transcript import result_payload
from llmcouncil.documents.inline import InlineFile, decode_inline, read_inline
from llmcouncil.documents.service import document_service
from llmcouncil.errors import CouncilError, ValidationFailedError
from llmcouncil.mcp_server.summary import ConsultResult, as_text, summarize
from llmcouncil.presets.settings import ModeName
from llmcouncil.storable import text_problem

SERVER_NAME = "llm-council"
INSTRUCTIONS = (
    "LLM Council asks several language models the same question, has them rank each other's "
    "anonymised answers, and has a Chairman model write the final answer. Use consult_council "
    "for questions where a second (and third) opinion matters; it takes longer than one model."
)
_PROGRESS = {
    EventType.STAGE1_START: (0, "the members are answering"),
    EventType.STAGE1_COMPLETE: (1, "the members answered; peer review"),
    EventType.STAGE2_COMPLETE: (2, "peer review done; the Chairman is writing"),
    EventType.STAGE3_COMPLETE: (3, "the Chairman answered"),
}
_STAGES = 3


class DocumentInput(BaseModel):
    """A file for the council to read with the question (one of its two contents)."""

    name: str = Field(
        min_length=1,
        max_length=300,
        description="The file name with its extension (book.epub, report.pdf, notes.md): "
        "it says how the content is read.",
    )
    content_base64: str | None = Field(
        default=None,
        description="The file's bytes, base64-encoded: PDF, EPUB, DOCX, HTML, Markdown, text, "
        "or a PNG/JPEG/WebP image.",
    )
    text: str | None = Field(default=None, description="Or the document as plain text.")


class PresetInfo(BaseModel):
    name: str
    model: str = Field(description="Its name on the OpenAI-compatible API.")
    description: str
    members: list[str]
    chairman: str
    default: bool


class PresetList(BaseModel):
    presets: list[PresetInfo]


def build_server(runtime: Callable[[], Runtime], *, version: str = "") -> MCPServer:
    """``runtime`` returns the running server's runtime (it exists only once the app started)."""
    server = MCPServer(SERVER_NAME, title="LLM Council", instructions=INSTRUCTIONS, version=version)

    @server.tool(
        name="consult_council",
        description="Ask the council a question: several models answer, rank each other's "
        "anonymised answers, and a Chairman writes the final answer. Returns that answer and "
        "a summary of the ranking and of how much the reviewers agreed.",
    )
    async def consult_council(
        question: Annotated[str, Field(description="The question, with any context it needs.")],
        ctx: Context,
        preset: Annotated[
            str | None, Field(description="A council preset (see list_presets); default if unset.")
        ] = None,
        documents: Annotated[
            list[DocumentInput] | None,
            Field(
                description="Files every member reads with the question (a book, a report, an "
                "image), each with content_base64 or text. Too long for a model's context, "
                "the sections most relevant to the question are sent, whole.",
                max_length=20,
            ),
        ] = None,
        mode: Annotated[
            ModeName | None,
            Field(
                description="How the council deliberates: classic (answers, review, synthesis), "
                "select (the top-ranked answer, no synthesis), answers (side by side), revise "
                "(members revise after reading each other), self-moa (one model sampled); "
                "the preset's if unset."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, ConsultResult]:
        summary, demo = await _consult(
            runtime(),
            ctx,
            question=question,
            preset=preset,
            documents=documents or [],
            mode=mode,
        )
        return CallToolResult(
            content=[TextContent(type="text", text=marked(as_text(summary), simulated=demo))],
            structured_content=summary.model_dump(mode="json"),
        )

    @server.tool(name="list_presets", description="The council presets this server offers.")
    async def list_presets() -> PresetList:
        settings = runtime().settings
        return PresetList(
            presets=[
                PresetInfo(
                    name=name,
                    model="council" if name == settings.default_preset else f"council/{name}",
                    description=p.description,
                    members=p.members,
                    chairman=p.chairman,
                    default=name == settings.default_preset,
                )
                for name, p in settings.presets.items()
            ]
        )

    return server


def _inline(runtime: Runtime, documents: list[DocumentInput]) -> list[InlineFile]:
    """The documents as files; text given as text is a Markdown/plain file of its name."""
    limit = runtime.settings.documents.max_file_bytes
    files: list[InlineFile] = []
    for index, document in enumerate(documents):
        where = f"documents[{index}]"
        problem = text_problem(document.name) or (
            text_problem(document.text) if document.text is not None else None
        )
        if problem:
            raise ValidationFailedError(f"{where} {problem}")
        if (document.content_base64 is None) == (document.text is None):
            raise ValidationFailedError(f"{where}: give content_base64 or text (one of them)")
        if document.text is not None:
            data = document.text.encode()
            name = document.name if "." in document.name else f"{document.name}.txt"
            media = "text/markdown" if name.lower().endswith((".md", ".markdown")) else None
            files.append(InlineFile(filename=name, data=data, media_type=media, where=where))
            continue
        data, media = decode_inline(document.content_base64, where=where, max_bytes=limit)
        files.append(InlineFile(filename=document.name, data=data, media_type=media, where=where))
    return files


async def _consult(
    runtime: Runtime,
    ctx: Context[Any, Any],
    *,
    question: str,
    preset: str | None,
    documents: list[DocumentInput],
    mode: str | None = None,
) -> tuple[ConsultResult, bool]:
    runs = runtime.runs
    for name, value in (("question", question), ("preset", preset or "")):
        problem = text_problem(value)  # what no database could store, refused as over HTTP
        if problem:
            raise ToolError(f"{name} {problem}")
    service = document_service(
        store=runtime.store, privacy=runtime.runs.privacy, settings=runtime.settings
    )
    try:
        runs.validate_content(question)  # before any file is read
        attach = await read_inline(  # bad files refused before anything is stored
            service, _inline(runtime, documents), uploads=runtime.document_uploads
        )
        handle = await runs.open_conversation(
            content=question,
            preset=preset,
            stream_tokens=False,  # progress is per stage only
            source="mcp",
            before_run=attach,
            mode=mode,
        )
    except CouncilError as exc:  # unknown preset, bad question or file, overload
        raise ToolError(exc.message) from exc
    handle.channel.attach()
    try:
        async for event in handle.events():
            step = _PROGRESS.get(event.type)
            if step is not None:
                await ctx.report_progress(step[0], _STAGES, step[1])
    finally:
        handle.channel.detach()
        runs.released(handle)
    detail = await handle.result()
    result = result_payload(detail)
    if result["status"] != "complete" or not result.get("stage3"):
        error = result.get("error") or {}
        raise ToolError(f"the council failed: {error.get('message', result['status'])}")
    # The run's own flag: demo mode, where no model was called (marked in the text).
    return summarize(result, conversation_id=handle.conversation_id), detail.run.simulated


PATH = "/mcp"
# Stateless, the manager keeps no sessions: none to end with DELETE, and none to send anything
# on a standalone GET stream (which would stay open and silent). The MCP specification lets a
# server answer both with 405, which the SDK's client expects.
METHODS = ("POST",)


class _HandOver(Response):
    """A response that lets an ASGI app answer the request itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.background: BackgroundTask | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, _completing_headers(send))


def _completing_headers(send: Send) -> Send:
    """The SDK answers a few refusals without Content-Type (421, 400 as plain text) and its 405
    without Allow; both are added so the answers are what the OpenAPI schema says."""

    async def completing(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {bytes(name).lower() for name, _ in headers}
            if b"content-type" not in names:
                headers.append((b"content-type", b"text/plain; charset=utf-8"))
            if message["status"] == 405 and b"allow" not in names:
                headers.append((b"allow", ", ".join(METHODS).encode()))
            message = {**message, "headers": headers}
        await send(message)

    return completing


class McpEndpoint:
    def __init__(self, runtime: Callable[[], Runtime], *, host: str, version: str = "") -> None:
        self.server: MCPServer = build_server(runtime, version=version)
        # Creates the session manager (the Starlette app it returns is not used).
        self.server.streamable_http_app(streamable_http_path=PATH, stateless_http=True, host=host)
        self._manager: StreamableHTTPSessionManager = self.server.session_manager

    def running(self) -> AbstractAsyncContextManager[None]:
        """Enter in the app's lifespan: the manager's task group lives as long as the app."""
        return self._manager.run()

    def router(self, dependencies: Sequence[Depends] = ()) -> APIRouter:
        router = APIRouter(tags=["mcp"], dependencies=list(dependencies))
        manager = self._manager

        async def mcp_endpoint(request: Request) -> Any:
            del request
            return _HandOver(manager.handle_request)

        for method in METHODS:  # one operation each in the OpenAPI schema
            router.add_api_route(
                PATH,
                mcp_endpoint,
                methods=[method],
                response_class=Response,
                operation_id=f"mcp_{method.lower()}",
                summary=f"MCP over streamable HTTP ({method})",
                description="The Model Context Protocol endpoint: tools consult_council and "
                "list_presets. Speak MCP to it (JSON-RPC over streamable HTTP), e.g. with the "
                "official MCP SDK's client.",
            )
        return router
