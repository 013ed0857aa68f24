"""FastAPI dependencies: who is calling (``CurrentPrincipal``) and what they need (``Require``).

Every route outside the public list (health, sign-in, docs) depends on a ``Require``; the guard
test walks the OpenAPI schema and fails for a route that answers without credentials.

Credentials, in order: ``Authorization: Bearer <API key>``, else the session cookie. A request
that rides on the cookie and changes state (anything but GET, HEAD, OPTIONS) must repeat the
session's CSRF token in ``X-CSRF-Token``; a cross-site page can make the browser send the cookie
but cannot read the token. Bearer requests carry no ambient credential and need no token.
Every authenticated request counts against the caller's requests-per-minute.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from llmcouncil.api.deps import runtime_of
from llmcouncil.auth.policy import LOCAL_PRINCIPAL, Principal, Scope
from llmcouncil.auth.service import Client, actor_of
from llmcouncil.council.governance import RunActor, check_may_write, current_actor
from llmcouncil.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from llmcouncil.store.tables import ConversationRow

SESSION_COOKIE = "council_session"
CSRF_COOKIE = "council_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_of(request: Request) -> Client:
    return Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def get_principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    governance = runtime_of(request).governance
    if governance.mode == "local":
        principal = LOCAL_PRINCIPAL
    else:
        principal = await _authenticate(request)
        await governance.usage.check_rate(
            "requests",
            user_id=principal.user_id,
            key_id=principal.api_key_id,
            user_limits=dict(principal.user_limits or {}),
            key_limits=dict(principal.key_limits or {}),
        )
    request.state.principal = principal
    # Runs this request starts are the caller's, whichever entry point starts them.
    current_actor.set(actor_for_run(principal, request))
    return principal


async def _authenticate(request: Request) -> Principal:
    auth = runtime_of(request).governance.auth
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise AuthenticationError("use Authorization: Bearer <API key>")
        return await auth.from_api_key(credentials)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationError("sign in, or send Authorization: Bearer <API key>")
    principal = await auth.from_session(token)
    if principal is None:
        raise AuthenticationError("your session has expired or was ended; sign in again")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise PermissionDeniedError(
                f"the {CSRF_HEADER} header is missing or wrong: send the token you received "
                "at sign-in (also in the council_csrf cookie)"
            )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class Require:
    """A route's guard: the caller must be authenticated and hold every scope in ``scopes``.

    ``or_read_all`` also admits a caller granted read access to every conversation (read-only
    routes of conversations). The attributes are read by the guard test."""

    def __init__(self, *scopes: Scope, or_read_all: bool = False) -> None:
        self.scopes = frozenset(scopes)
        self.or_read_all = or_read_all

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if self.or_read_all and principal.read_all_conversations:
            return principal
        missing = sorted(s.value for s in self.scopes if not principal.can(s))
        if missing:
            via = "this API key" if principal.api_key_id else f"the role {principal.role!r}"
            raise PermissionDeniedError(f"{via} lacks the scope {', '.join(missing)}")
        return principal

    def __repr__(self) -> str:
        return f"Require({', '.join(sorted(self.scopes))})"


def actor_for_run(principal: Principal, request: Request) -> RunActor | None:
    if principal.local:
        return None
    return RunActor(
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        name=principal.username,
        ip=client_of(request).ip,
    )


AnyUser = Annotated[Principal, Depends(Require())]
Asker = Annotated[Principal, Depends(Require(Scope.CONVERSATIONS))]
ConversationReader = Annotated[Principal, Depends(Require(Scope.CONVERSATIONS, or_read_all=True))]
KeyHolder = Annotated[Principal, Depends(Require(Scope.KEYS))]
UsageReader = Annotated[Principal, Depends(Require(Scope.USAGE))]
AuditReader = Annotated[Principal, Depends(Require(Scope.AUDIT))]
Admin = Annotated[Principal, Depends(Require(Scope.ADMIN))]


async def readable_conversation(
    conversation_id: str, principal: ConversationReader, request: Request
) -> ConversationRow:
    """The conversation, if the caller may read it; another user's is a 404, like a missing one.

    Reading someone else's conversation under a grant is an audit record."""
    runtime = runtime_of(request)
    row = await runtime.store.get_conversation(conversation_id)
    if not principal.may_read_conversation(row.user_id):
        raise NotFoundError(f"conversation {conversation_id} does not exist")
    if not principal.local and row.user_id != principal.user_id:
        await runtime.governance.audit.record(
            "conversation.read",
            actor=actor_of(principal, client_of(request)),
            target=conversation_id,
            details={"owner": row.user_id, "grant": "read_all_conversations"},
        )
    return row


async def writable_conversation(
    conversation_id: str, principal: Asker, request: Request
) -> ConversationRow:
    row = await runtime_of(request).store.get_conversation(conversation_id)
    check_may_write(principal.may_change_conversation, row)  # as a message's run checks it
    return row


ReadableConversation = Annotated[ConversationRow, Depends(readable_conversation)]
WritableConversation = Annotated[ConversationRow, Depends(writable_conversation)]
