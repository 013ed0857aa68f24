"""Everything the governance layer holds for the server's life, built in one place.

Accounts and sign-in (``auth``, ``accounts``, ``oidc``), usage and budgets (``usage``), the
audit log (``audit``), and the run gate the run service consults. The server's runtime owns
one ``Governance``; the command line builds one for ``council users / keys / audit``.

At start-up the server says how sign-in works. In users mode without an active administrator it
prints a one-time setup link: the only secret the server ever prints, valid once and for
``auth.setup_token_ttl`` seconds, replaced at every restart. Whoever can read the console can
already run ``council users create``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.audit.log import AuditLog, chain_key
from llmcouncil.auth.accounts import Accounts
from llmcouncil.auth.oidc import OIDCClient
from llmcouncil.auth.ratelimit import RateLimiter, create_rate_limiter
from llmcouncil.auth.repository import AuthStore
from llmcouncil.auth.service import AuthService
from llmcouncil.config import Settings
from llmcouncil.store.repository import Store
from llmcouncil.usage.gate import GovernedRunGate
from llmcouncil.usage.service import UsageService

log = logging.getLogger(__name__)
console = logging.getLogger("llmcouncil")


@dataclass(slots=True)
class Governance:
    auth: AuthService
    accounts: Accounts
    usage: UsageService
    audit: AuditLog
    gate: GovernedRunGate
    limiter: RateLimiter
    oidc: OIDCClient | None

    @property
    def mode(self) -> str:
        return self.auth.mode

    @classmethod
    async def start(cls, settings: Settings, *, engine: AsyncEngine, store: Store) -> Governance:
        audit = AuditLog(engine, key=chain_key(settings.audit))
        auth_store = AuthStore(engine)
        limiter = create_rate_limiter(settings.redis_url)
        mode = await AuthService.resolve_mode(settings.auth, auth_store)
        auth = AuthService(
            store=auth_store, audit=audit, settings=settings.auth, limiter=limiter, mode=mode
        )
        usage = UsageService(
            engine, settings=settings.usage, limiter=limiter, worker_id=uuid.uuid4().hex
        )
        gate = GovernedRunGate(
            store=store,
            auth_store=auth_store,
            usage=usage,
            audit=audit,
            auth_settings=settings.auth,
            audit_settings=settings.audit,
        )
        oidc = OIDCClient(settings.auth.oidc) if settings.auth.oidc is not None else None
        return cls(
            auth=auth,
            accounts=Accounts(auth),
            usage=usage,
            audit=audit,
            gate=gate,
            limiter=limiter,
            oidc=oidc,
        )

    async def recover(self) -> None:
        """Settle what a stopped process left: its reservations, and its runs' usage."""
        released, settled = await self.usage.recover()
        if released or settled:
            log.warning(
                "released %d budget reservation(s) and settled %d run(s) left by a stopped server",
                released,
                settled,
            )

    async def aclose(self) -> None:
        await self.limiter.aclose()
        if self.oidc is not None:
            await self.oidc.aclose()


def base_url(settings: Settings) -> str:
    if settings.auth.public_url:
        return settings.auth.public_url.rstrip("/")
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    return f"http://{host}:{settings.port}"


async def announce_first_run(governance: Governance, settings: Settings) -> str | None:
    """Log the sign-in mode; in users mode without an administrator, print a setup link.

    Returns the setup token when one was issued (for tests)."""
    if governance.mode == "local":
        console.warning(
            "auth: local single-user mode, no sign-in (the server binds to %s and %s); "
            "create an account with `council users create --admin NAME` to require sign-in",
            settings.host,
            "auth.mode is local" if settings.auth.mode == "local" else "no account exists",
        )
        return None
    token = await governance.accounts.issue_setup_token()
    if token is None:
        console.info("auth: users mode, sign-in required")
        return None
    base = base_url(settings)
    minutes = round(settings.auth.setup_token_ttl / 60)
    body = json.dumps({"token": token, "username": "NAME", "password": "…"})
    console.warning(
        "auth: no administrator exists yet. Within %d minutes, open %s/setup?token=%s once, "
        "or POST %s/api/auth/setup with %s; or run `council users create --admin NAME`.",
        minutes,
        base,
        token,
        base,
        body,
    )
    return token
