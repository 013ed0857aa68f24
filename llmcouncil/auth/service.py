"""Signing in and out, recognising the caller of a request, and API keys; each step audited.

The HTTP layer (``api/guards.py``, ``api/routes/auth.py``) only moves tokens between headers,
cookies and this service; every decision is made here, so the CLI and the API behave alike.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from llmcouncil.audit.chain import Actor
from llmcouncil.audit.log import AuditLog
from llmcouncil.auth.policy import ROLE_SCOPES, Principal, Scope, key_scopes
from llmcouncil.auth.ratelimit import RateLimiter
from llmcouncil.auth.repository import AuthStore
from llmcouncil.auth.secrets import (
    Passwords,
    new_api_key,
    new_token,
    parse_api_key,
    password_problem,
    same_digest,
    token_digest,
)
from llmcouncil.auth.settings import AuthSettings
from llmcouncil.auth.tables import ApiKeyRow, UserRow
from llmcouncil.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitExceededError,
    ValidationFailedError,
)
from llmcouncil.store.tables import utcnow

log = logging.getLogger(__name__)

AuthMode = Literal["local", "users"]
WRONG_CREDENTIALS = "wrong username or password"
KEY_TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from, as far as the audit trail is concerned."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class SignIn:
    token: str  # the session cookie's value; only its digest is stored
    csrf_token: str
    expires_at: datetime
    user: UserRow


@dataclass(frozen=True, slots=True)
class IssuedKey:
    row: ApiKeyRow
    secret: str  # shown once


def actor_of(principal: Principal, client: Client | None = None) -> Actor:
    return Actor(
        user_id=principal.user_id,
        name=principal.username,
        key_id=principal.api_key_id,
        ip=client.ip if client else None,
    )


class AuthService:
    def __init__(
        self,
        *,
        store: AuthStore,
        audit: AuditLog,
        settings: AuthSettings,
        limiter: RateLimiter,
        mode: AuthMode,
    ) -> None:
        self.store = store
        self.audit = audit
        self.settings = settings
        self.passwords = Passwords(settings.password_hash)
        self.mode: AuthMode = mode
        self._limiter = limiter

    @staticmethod
    async def resolve_mode(settings: AuthSettings, store: AuthStore) -> AuthMode:
        if settings.mode == "auto":
            return "users" if await store.count_users() else "local"
        return settings.mode

    # principals ---------------------------------------------------------------------------

    def principal(
        self,
        user: UserRow,
        *,
        key: ApiKeyRow | None = None,
        session_id: str | None = None,
        csrf_token: str | None = None,
    ) -> Principal:
        scopes = ROLE_SCOPES.get(user.role, frozenset())
        if key is not None:
            scopes = scopes & {Scope(s) for s in key.scopes if s in Scope.__members__.values()}
        role_policy = self.settings.roles.get(user.role)  # type: ignore[call-overload]
        # A grant to read everyone's conversations holds for signed-in people, not for keys.
        read_all = key is None and (
            user.read_all_conversations
            or bool(role_policy is not None and role_policy.read_all_conversations)
        )
        return Principal(
            kind="api_key" if key is not None else "session",
            user_id=user.id,
            username=user.username,
            role=user.role,  # type: ignore[arg-type]
            scopes=scopes,
            api_key_id=key.id if key is not None else None,
            session_id=session_id,
            csrf_token=csrf_token,
            read_all_conversations=read_all,
            user_limits=user.rate_limits,
            key_limits=key.rate_limits if key is not None else None,
        )

    async def from_session(self, token: str) -> Principal | None:
        found = await self.store.session_user(token_digest(token))
        if found is None:
            return None
        return self.principal(
            found.user, session_id=found.session.id, csrf_token=found.session.csrf_token
        )

    async def from_api_key(self, presented: str) -> Principal:
        prefix = parse_api_key(presented)
        found = await self.store.key_user(prefix) if prefix else None
        if found is None or not same_digest(found.key.secret_hash, presented.strip()):
            raise AuthenticationError("the API key is not valid")
        key, user = found.key, found.user
        now = utcnow()
        if key.revoked_at is not None:
            raise AuthenticationError(f"the API key {key.prefix} was revoked")
        if key.expires_at is not None and key.expires_at <= now:
            raise AuthenticationError(f"the API key {key.prefix} has expired")
        if not user.active:
            raise AuthenticationError("the API key's owner is deactivated")
        if key.last_used_at is None or now - key.last_used_at >= KEY_TOUCH_INTERVAL:
            await self.store.touch_key(key.id, now)
        return self.principal(user, key=key)

    # signing in and out -------------------------------------------------------------------

    async def login(self, username: str, password: str, client: Client) -> SignIn:
        name = username.strip().lower()[:100]
        await self._throttle_login(name, client)
        user = await self.store.find_user(name)
        stored = user.password_hash if user is not None and user.active else None
        if not await self.passwords.verify(stored, password) or user is None:
            await self.audit.record(
                "auth.login",
                actor=Actor(name=name, ip=client.ip),
                outcome="failure",
                target=user.id if user is not None else None,
                details={"method": "password", "reason": "wrong credentials or inactive"},
            )
            raise AuthenticationError(WRONG_CREDENTIALS)
        assert stored is not None
        if self.passwords.needs_rehash(stored):
            await self.store.update_user(user.id, password_hash=await self.passwords.hash(password))
        return await self.sign_in(user, via="password", client=client)

    async def sign_in(self, user: UserRow, *, via: str, client: Client) -> SignIn:
        token, csrf = new_token(), secrets.token_urlsafe(24)
        expires_at = utcnow() + timedelta(seconds=self.settings.session_ttl)
        await self.store.create_session(
            digest=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            via=via,
            expires_at=expires_at,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        await self.store.update_user(user.id, last_login_at=utcnow())
        await self.audit.record(
            "auth.login",
            actor=Actor(user_id=user.id, name=user.username, ip=client.ip),
            target=user.id,
            details={"method": via},
        )
        return SignIn(token=token, csrf_token=csrf, expires_at=expires_at, user=user)

    async def logout(self, principal: Principal, client: Client) -> None:
        if principal.session_id is not None:
            await self.store.delete_session(principal.session_id)
        await self.audit.record("auth.logout", actor=actor_of(principal, client))

    async def change_password(
        self, principal: Principal, *, current: str, new: str, client: Client
    ) -> None:
        if principal.user_id is None or principal.kind != "session":
            raise PermissionDeniedError("sign in with your password to change it")
        user = await self.store.get_user(principal.user_id)
        if not await self.passwords.verify(user.password_hash, current):
            await self.audit.record(
                "auth.password_change", actor=actor_of(principal, client), outcome="failure"
            )
            raise AuthenticationError("the current password is wrong")
        await self.set_password(user.id, new)
        await self.store.delete_user_sessions(user.id, keep=principal.session_id)
        await self.audit.record("auth.password_change", actor=actor_of(principal, client))

    async def set_password(self, user_id: str, password: str) -> None:
        problem = password_problem(password)
        if problem:
            raise ValidationFailedError(problem)
        await self.store.update_user(user_id, password_hash=await self.passwords.hash(password))

    async def _throttle_login(self, username: str, client: Client) -> None:
        limit = self.settings.login_attempts_per_minute
        for key in (f"login:user:{username}", f"login:ip:{client.ip or '-'}"):
            retry_after = await self._limiter.hit(key, per_minute=limit)
            if retry_after is not None:
                raise RateLimitExceededError(
                    "too many sign-in attempts; wait before trying again", retry_after=retry_after
                )

    # API keys -----------------------------------------------------------------------------

    async def create_key(
        self,
        owner: UserRow,
        *,
        name: str,
        scopes: list[str] | None,
        expires_in_days: float | None,
        actor: Actor,
    ) -> IssuedKey:
        granted = key_scopes(scopes if scopes is not None else ["conversations"], owner.role)
        issued = new_api_key()
        expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        row = await self.store.create_key(
            user_id=owner.id,
            name=name.strip() or "key",
            prefix=issued.prefix,
            secret_hash=issued.secret_hash,
            scopes=sorted(s.value for s in granted),
            expires_at=expires_at,
        )
        await self.audit.record(
            "key.create",
            actor=actor,
            target=row.id,
            details={
                "owner": owner.id,
                "prefix": row.prefix,
                "name": row.name,
                "scopes": row.scopes,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        return IssuedKey(row=row, secret=issued.secret)

    async def revoke_key(self, key_id: str, *, actor: Actor) -> ApiKeyRow:
        row = await self.store.revoke_key(key_id)
        await self.audit.record(
            "key.revoke",
            actor=actor,
            target=row.id,
            details={"owner": row.user_id, "prefix": row.prefix},
        )
        return row
