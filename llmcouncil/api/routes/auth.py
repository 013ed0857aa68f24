"""Sign-in and the caller's own account: login, logout, me, password, first-run setup, SSO.

Public (no credentials): ``GET /api/auth/config``, ``POST /api/auth/login``,
``POST /api/auth/setup`` and the two single sign-on redirects. The session cookie is HttpOnly and
SameSite=Lax, Secure when the request came over HTTPS (``auth.cookie_secure``). The CSRF token
comes back in the body and in a readable ``council_csrf`` cookie; state-changing requests made
with the cookie repeat it in ``X-CSRF-Token``. Login only accepts a JSON body, which a cross-site
form cannot send without the browser asking first (CORS).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.api.deps import RuntimeDep
from llmcouncil.api.guards import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AnyUser,
    client_of,
)
from llmcouncil.api.schemas import ErrorBody
from llmcouncil.audit.chain import Actor
from llmcouncil.auth.accounts import user_public
from llmcouncil.auth.oidc import STATE_TTL
from llmcouncil.auth.secrets import token_digest
from llmcouncil.auth.service import SignIn
from llmcouncil.auth.settings import AuthSettings
from llmcouncil.errors import AuthenticationError, ConflictError
from llmcouncil.store.tables import utcnow

SSO_COOKIE = "council_sso"
SSO = "oidc"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Wrong credentials, or not signed in"},
    409: {"model": ErrorBody, "description": "Not available in this mode"},
    429: {"model": ErrorBody, "description": "Too many sign-in attempts"},
}
router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERRORS)


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class SetupRequest(LoginRequest):
    token: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class SessionPublic(BaseModel):
    user: dict[str, Any]
    csrf_token: str
    expires_at: str


class AuthConfigPublic(BaseModel):
    mode: str
    setup_required: bool
    oidc: dict[str, Any] | None


class MePublic(BaseModel):
    mode: str
    kind: str
    user: dict[str, Any] | None
    role: str
    scopes: list[str]
    api_key_id: str | None
    csrf_token: str | None
    read_all_conversations: bool


def _require_users_mode(runtime: Any) -> None:
    if runtime.governance.mode != "users":
        raise ConflictError("sign-in is off: the server runs in local single-user mode (auth.mode)")


def _secure(settings: AuthSettings, request: Request) -> bool:
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "always"


def _set_session(response: Response, request: Request, runtime: Any, sign_in: SignIn) -> None:
    settings: AuthSettings = runtime.settings.auth
    max_age = int(settings.session_ttl)
    secure = _secure(settings, request)
    response.set_cookie(
        SESSION_COOKIE,
        sign_in.token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        sign_in.csrf_token,
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=secure,
        path="/",
    )


def _session_body(sign_in: SignIn) -> dict[str, Any]:
    return {
        "user": user_public(sign_in.user),
        "csrf_token": sign_in.csrf_token,
        "expires_at": sign_in.expires_at.isoformat(),
    }


@router.get("/config", response_model=AuthConfigPublic)
async def auth_config(runtime: RuntimeDep) -> dict[str, Any]:
    """Public: what the sign-in page needs to know."""
    oidc = runtime.settings.auth.oidc
    return {
        "mode": runtime.governance.mode,
        "setup_required": await runtime.governance.accounts.setup_needed(),
        "oidc": {"enabled": True, "label": oidc.button_label} if oidc else None,
    }


@router.post("/login", response_model=SessionPublic)
async def login(
    body: LoginRequest, request: Request, response: Response, runtime: RuntimeDep
) -> dict[str, Any]:
    _require_users_mode(runtime)
    sign_in = await runtime.governance.auth.login(body.username, body.password, client_of(request))
    _set_session(response, request, runtime, sign_in)
    return _session_body(sign_in)


@router.post("/setup", response_model=SessionPublic)
async def setup(
    body: SetupRequest, request: Request, response: Response, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create the first administrator with the one-time link printed on the server's console."""
    _require_users_mode(runtime)
    sign_in = await runtime.governance.accounts.complete_setup(
        token=body.token, username=body.username, password=body.password, client=client_of(request)
    )
    _set_session(response, request, runtime, sign_in)
    return _session_body(sign_in)


@router.post("/logout", status_code=204)
async def logout(principal: AnyUser, request: Request, runtime: RuntimeDep) -> Response:
    if not principal.local:
        await runtime.governance.auth.logout(principal, client_of(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=MePublic)
async def me(principal: AnyUser, runtime: RuntimeDep) -> dict[str, Any]:
    user = None
    if principal.user_id is not None:
        user = user_public(await runtime.governance.auth.store.get_user(principal.user_id))
    return {
        "mode": runtime.governance.mode,
        "kind": principal.kind,
        "user": user,
        "role": principal.role,
        "scopes": sorted(s.value for s in principal.scopes),
        "api_key_id": principal.api_key_id,
        "csrf_token": principal.csrf_token,
        "read_all_conversations": principal.read_all_conversations,
    }


@router.post("/password", status_code=204)
async def change_password(
    body: PasswordChange, principal: AnyUser, request: Request, runtime: RuntimeDep
) -> Response:
    """Change one's own password; every other session of the account ends."""
    await runtime.governance.auth.change_password(
        principal, current=body.current_password, new=body.new_password, client=client_of(request)
    )
    return Response(status_code=204)


@router.get("/oidc/login", response_class=RedirectResponse, status_code=302)
async def oidc_login(
    request: Request,
    runtime: RuntimeDep,
    next: Annotated[str, Query(max_length=500)] = "/",
) -> RedirectResponse:
    """Public: send the browser to the identity provider."""
    _require_users_mode(runtime)
    oidc = runtime.governance.oidc
    if oidc is None:
        raise ConflictError("single sign-on is not configured (auth.oidc)")
    browser = secrets.token_urlsafe(24)
    url, pending = await oidc.begin(
        redirect_uri=_callback_url(request, runtime), next_path=_local_path(next)
    )
    await runtime.governance.auth.store.put_token(
        digest=token_digest(pending.state),
        purpose=SSO,
        expires_at=utcnow() + timedelta(seconds=STATE_TTL),
        data={**pending.as_dict(), "browser": hashlib.sha256(browser.encode()).hexdigest()},
    )
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        SSO_COOKIE,
        browser,
        max_age=int(STATE_TTL),
        httponly=True,
        samesite="lax",
        secure=_secure(runtime.settings.auth, request),
        path="/api/auth/oidc",
    )
    return response


@router.get("/oidc/callback", response_class=RedirectResponse, status_code=302)
async def oidc_callback(
    request: Request,
    runtime: RuntimeDep,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Public: the identity provider sends the browser back here."""
    _require_users_mode(runtime)
    governance = runtime.governance
    if governance.oidc is None:
        raise ConflictError("single sign-on is not configured (auth.oidc)")
    client = client_of(request)
    try:
        if error:
            raise AuthenticationError(f"single sign-on failed at the provider: {error}")
        pending = await governance.auth.store.take_token(token_digest(state), purpose=SSO)
        browser = request.cookies.get(SSO_COOKIE, "")
        if (
            pending is None
            or not code
            or pending.get("browser") != hashlib.sha256(browser.encode()).hexdigest()
        ):
            raise AuthenticationError(
                "single sign-on failed: the sign-in expired or was not started here"
            )
        identity = await governance.oidc.finish(code=code, pending=pending)
        user = await governance.accounts.user_for_identity(identity, client=client)
    except AuthenticationError as exc:
        await governance.audit.record(
            "auth.login",
            actor=Actor(ip=client.ip),
            outcome="failure",
            details={"method": "oidc", "reason": exc.message},
        )
        raise
    sign_in = await governance.auth.sign_in(user, via="oidc", client=client)
    response = RedirectResponse(pending.get("next_path") or "/", status_code=302)
    _set_session(response, request, runtime, sign_in)
    response.delete_cookie(SSO_COOKIE, path="/api/auth/oidc")
    return response


def _callback_url(request: Request, runtime: Any) -> str:
    base = runtime.settings.auth.public_url or str(request.base_url)
    return base.rstrip("/") + "/api/auth/oidc/callback"


def _local_path(value: str) -> str:
    # Only a path on this server: never an open redirect to somewhere else.
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
