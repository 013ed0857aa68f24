"""The ``[auth]`` section of the settings: who may use the server and how they prove it.

``mode`` decides whether anyone signs in:

* ``"local"`` — one person on this machine, no sign-in. Refused unless the server binds to a
  loopback address (``127.0.0.0/8``, ``::1``, ``localhost``).
* ``"users"`` — every API route needs a session cookie or ``Authorization: Bearer <API key>``.
* ``"auto"`` (the default) — on a loopback bind: ``"users"`` as soon as one account exists in
  the database, else ``"local"``; on any other bind the server refuses to start until
  ``mode = "users"`` is set explicitly, so exposing the server is always a deliberate choice.
"""

from __future__ import annotations

import ipaddress
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

Role = Literal["admin", "member", "auditor"]
ROLES: tuple[Role, ...] = ("admin", "member", "auditor")


class RolePolicy(BaseModel):
    """What a role may use. Patterns are shell-style (``openai/*``); ``*`` allows everything."""

    presets: list[str] = Field(default_factory=lambda: ["*"])
    models: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Models that may receive data: members, chairman, fallbacks, title model.",
    )
    read_all_conversations: bool = Field(
        default=False, description="May read (never write) every user's conversations."
    )


def _default_roles() -> dict[Role, RolePolicy]:
    return {
        "admin": RolePolicy(),
        "member": RolePolicy(),
        "auditor": RolePolicy(presets=[], models=[]),
    }


class PasswordHashSettings(BaseModel):
    """argon2id parameters. The defaults are RFC 9106's second recommendation; tests lower them,
    a deployment should not."""

    time_cost: int = Field(default=3, ge=1)
    memory_cost: int = Field(default=65536, ge=8, description="KiB.")
    parallelism: int = Field(default=4, ge=1)


class OIDCSettings(BaseModel):
    """Single sign-on through an OpenID Connect provider (authorization code flow with PKCE)."""

    issuer: str = Field(description="Issuer URL; discovery is read from its well-known path.")
    client_id: str
    client_secret_env: str | None = Field(
        default=None, description="Name of the environment variable that holds the secret."
    )
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    username_claim: str = "preferred_username"
    create_users: bool = Field(
        default=True, description="Create an account at the first sign-in of a new subject."
    )
    default_role: Role = "member"
    button_label: str = "Sign in with single sign-on"


class AuthSettings(BaseModel):
    mode: Literal["auto", "local", "users"] = "auto"
    session_ttl: float = Field(
        default=12 * 3600, gt=0, description="Seconds a sign-in lasts, from the sign-in."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: Secure when the request came over HTTPS."
    )
    login_attempts_per_minute: int = Field(
        default=10, ge=1, description="Per username and per client address."
    )
    setup_token_ttl: float = Field(default=3600, gt=0)
    public_url: str | None = Field(
        default=None,
        description="The URL people use to reach the server (printed links, SSO redirects).",
    )
    password_hash: PasswordHashSettings = Field(default_factory=PasswordHashSettings)
    roles: dict[Role, RolePolicy] = Field(default_factory=_default_roles)
    oidc: OIDCSettings | None = None

    @model_validator(mode="after")
    def _every_role(self) -> Self:
        # A config that tunes one role keeps the defaults of the others.
        defaults = _default_roles()
        for role in ROLES:
            self.roles.setdefault(role, defaults[role])
        return self


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_problems(*, auth: AuthSettings, host: str, presets: list[str]) -> list[str]:
    """Every problem of the ``[auth]`` section, found without the database."""
    problems: list[str] = []
    if auth.mode != "users" and not is_loopback(host):
        problems.append(
            f"the server would bind to {host}, which is not a loopback address, without "
            f'sign-in (auth.mode = "{auth.mode}"). Set auth.mode = "users" '
            "(COUNCIL_AUTH__MODE=users) and create an administrator with "
            "`council users create --admin NAME`, or bind to 127.0.0.1."
        )
    for role, policy in auth.roles.items():
        for pattern in policy.presets:
            if "*" not in pattern and "?" not in pattern and pattern not in presets:
                problems.append(f"auth.roles.{role}.presets names unknown preset {pattern!r}")
    if auth.public_url and not auth.public_url.startswith(("http://", "https://")):
        problems.append("auth.public_url must start with http:// or https://")
    if auth.oidc and not auth.oidc.issuer.startswith(("http://", "https://")):
        problems.append("auth.oidc.issuer must start with http:// or https://")
    return problems
