"""The OpenAPI schema as the server really answers, not as FastAPI guesses.

FastAPI documents its own validation body (a list under ``detail``) and only the responses a
route names. The server answers differently, in a few places shared by every route:

- a 422 is ``{"detail": {code, message, problems}}`` (``api/errors.py``), and under ``/v1`` it
  becomes the OpenAI-format 400 (``openai_api/errors.py``), so ``/v1`` has no 422 at all;
- any route may refuse a query parameter or header (``api/inputs.py``): 422;
- a route with a body answers malformed bytes with 400;
- a guarded route answers 401 and 403, and in users mode counts against a rate limit: 429;
- anything that reads the database may find it unavailable: 503;
- the routes that start a council may meet a hard budget (402) or an oversized question (413).

``complete`` adds these to the generated schema and gives every error response its body's
schema; routes declare only what is particular to them. ``/mcp`` is the MCP SDK's (JSON-RPC
over streamable HTTP) and is described as the SDK answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from llmcouncil.api.guards import Require
from llmcouncil.api.schemas import ErrorBody, OpenAIErrorBody

_REF = "#/components/schemas/{model}"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_NO_DATABASE = frozenset({"/healthz"})
# Operations that start a council: a hard budget refuses them (402), a long question too (413).
_RUNS = frozenset(
    {
        ("post", "/api/conversations/{conversation_id}/message"),
        ("post", "/api/conversations/{conversation_id}/message/stream"),
        ("post", "/api/conversations/{conversation_id}/runs/{run_id}/retry"),
        ("post", "/v1/chat/completions"),
    }
)
_DESCRIPTIONS = {
    "400": "Malformed request body, or a value the database refused",
    "401": "Not signed in, or the API key is unknown, expired or revoked (users mode)",
    "402": "A hard budget is used up",
    "403": "The role, the key's scopes, the CSRF token or the council policy do not allow it",
    "413": "The question or the history is too long",
    "422": "Invalid input: `detail.problems` names each field and what is wrong with it",
    "429": "Too many requests, or the server is at capacity; see Retry-After",
    "503": "The database is unavailable",
}
_ANY_JSON: dict[str, Any] = {"type": "object", "additionalProperties": True}
_TEXT: dict[str, Any] = {"type": "string"}
MCP_RESPONSES: dict[str, dict[str, Any]] = {
    "200": {
        "description": "A JSON-RPC response, as JSON or as a stream of server-sent events",
        "content": {
            "application/json": {"schema": _ANY_JSON},
            "text/event-stream": {"schema": _TEXT},
        },
    },
    "202": {"description": "A notification or response was accepted"},
    "400": {
        "description": "Not JSON-RPC, or the wrong Content-Type",
        "content": {"application/json": {"schema": _ANY_JSON}, "text/plain": {"schema": _TEXT}},
    },
    "403": {
        "description": "The key's scopes, the CSRF token, or a foreign Origin",
        "content": {"application/json": {"schema": _ANY_JSON}, "text/plain": {"schema": _TEXT}},
    },
    "404": {
        "description": "Unknown session",
        "content": {"application/json": {"schema": _ANY_JSON}},
    },
    "406": {
        "description": "The Accept header does not take JSON and server-sent events",
        "content": {"application/json": {"schema": _ANY_JSON}},
    },
    "413": {"description": "Request body too large", "content": {"text/plain": {"schema": _TEXT}}},
    "415": {
        "description": "The body is not application/json",
        "content": {"application/json": {"schema": _ANY_JSON}},
    },
    "421": {
        "description": "A Host this server does not answer to",
        "content": {"text/plain": {"schema": _TEXT}},
    },
}


def install_openapi(app: FastAPI) -> None:
    """Serve ``complete``'s schema at ``/openapi.json`` (built once, on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete(schema, guarded=_guarded_operations(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _guarded_operations(app: FastAPI) -> set[tuple[str, str]]:
    guarded: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is not None and _requires(dependant):
            guarded.update((m.lower(), str(route.path_format)) for m in route.methods or ())
    return guarded


def _requires(dependant: Any) -> bool:
    stack = list(dependant.dependencies)
    while stack:
        current = stack.pop()
        if isinstance(current.call, Require):
            return True
        stack.extend(current.dependencies)
    return False


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield method, path, operation


def complete(schema: dict[str, Any], *, guarded: set[tuple[str, str]]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)
    for model in (ErrorBody, OpenAIErrorBody):
        _add_model(components, model)
    for method, path, operation in _operations(schema):
        responses: dict[str, Any] = operation["responses"]
        if path == "/mcp":
            responses.clear()
            responses.update({k: dict(v) for k, v in MCP_RESPONSES.items()})
            _add_errors(responses, _common(method, path, operation, guarded), ErrorBody)
            continue
        openai = path.startswith("/v1/")
        wanted = _common(method, path, operation, guarded)
        if openai:
            responses.pop("422", None)
            wanted = (wanted - {"422"}) | {"400"}
        _add_errors(responses, wanted, OpenAIErrorBody if openai else ErrorBody)
    return schema


def _common(
    method: str, path: str, operation: dict[str, Any], guarded: set[tuple[str, str]]
) -> set[str]:
    codes = {"422"}
    if "requestBody" in operation:
        codes.add("400")
    if (method, path) in guarded:
        codes |= {"401", "403", "429"}
    if path not in _NO_DATABASE:
        codes.add("503")
    if (method, path) in _RUNS:
        codes |= {"402", "413"}
    return codes


def _add_errors(responses: dict[str, Any], codes: set[str], model: type[BaseModel]) -> None:
    body = {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}
    for code in codes:
        responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
    for code, response in responses.items():
        if code[:1] not in ("4", "5"):
            continue
        content = response.get("content")
        refs_fastapi = content and any(
            str(media.get("schema", {}).get("$ref", "")).endswith(_FASTAPI_VALIDATION)
            for media in content.values()
        )
        if not content or refs_fastapi:
            response["content"] = body
            if refs_fastapi:
                response["description"] = _DESCRIPTIONS["422"]


def _add_model(components: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=_REF)
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
