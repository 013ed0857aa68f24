"""What the server says about sign-in when it starts, and the first-run setup link.

In users mode without an active administrator, a one-time link goes to the console: it is the
only secret the server ever prints, valid once and for ``auth.setup_token_ttl`` seconds, and a
restart replaces it. Whoever can read the console can already run ``council users create``.
"""

from __future__ import annotations

import json
import logging

from llmcouncil.auth.governance import Governance
from llmcouncil.config import Settings

log = logging.getLogger("llmcouncil")


def base_url(settings: Settings) -> str:
    if settings.auth.public_url:
        return settings.auth.public_url.rstrip("/")
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    return f"http://{host}:{settings.port}"


async def announce_first_run(governance: Governance, settings: Settings) -> str | None:
    """Log the sign-in mode; in users mode without an administrator, print a setup link.

    Returns the setup token when one was issued (for tests)."""
    if governance.mode == "local":
        log.warning(
            "auth: local single-user mode, no sign-in (the server binds to %s and %s); "
            "create an account with `council users create --admin NAME` to require sign-in",
            settings.host,
            "auth.mode is local" if settings.auth.mode == "local" else "no account exists",
        )
        return None
    token = await governance.accounts.issue_setup_token()
    if token is None:
        log.info("auth: users mode, sign-in required")
        return None
    base = base_url(settings)
    minutes = round(settings.auth.setup_token_ttl / 60)
    body = json.dumps({"token": token, "username": "NAME", "password": "…"})
    log.warning(
        "auth: no administrator exists yet. Within %d minutes, open %s/setup?token=%s once, "
        "or POST %s/api/auth/setup with %s; or run `council users create --admin NAME`.",
        minutes,
        base,
        token,
        base,
        body,
    )
    return token
