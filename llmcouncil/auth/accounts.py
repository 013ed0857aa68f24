"""Administering accounts: create, change role and policy, deactivate; and the first-run setup.

Every change is an audit record naming what changed (never a password or its hash). A user who is
deactivated or whose password is reset loses their sessions at once; their API keys stop working
with the next request, since authentication checks that the owner is active.

First run: when the server starts in users mode without an active administrator, it prints a
one-time setup link on the console (valid ``auth.setup_token_ttl`` seconds, usable once) that
creates the first administrator through ``POST /api/auth/setup``. ``council users create
--admin`` is the other way in.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from llmcouncil.audit.chain import Actor
from llmcouncil.auth.oidc import Identity
from llmcouncil.auth.secrets import new_token, password_problem, token_digest
from llmcouncil.auth.service import AuthService, Client, SignIn
from llmcouncil.auth.settings import ROLES
from llmcouncil.auth.tables import ApiKeyRow, UserRow
from llmcouncil.errors import AuthenticationError, ConflictError, ValidationFailedError
from llmcouncil.store.tables import utcnow

log = logging.getLogger(__name__)
SETUP = "setup"
POLICY_FIELDS = ("allowed_presets", "allowed_models", "read_all_conversations", "rate_limits")


def user_public(user: UserRow) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "sso": user.oidc_subject is not None,
        "has_password": user.password_hash is not None,
        "allowed_presets": user.allowed_presets,
        "allowed_models": user.allowed_models,
        "read_all_conversations": user.read_all_conversations,
        "rate_limits": user.rate_limits,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def key_public(row: ApiKeyRow) -> dict[str, Any]:
    expired = row.expires_at is not None and row.expires_at <= utcnow()
    return {
        "id": row.id,
        "user_id": row.user_id,
        "name": row.name,
        "prefix": f"lc_{row.prefix}",
        "scopes": list(row.scopes),
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "active": row.revoked_at is None and not expired,
    }


class Accounts:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.store = auth.store

    async def create_user(
        self,
        *,
        username: str,
        role: str,
        password: str | None,
        actor: Actor,
        display_name: str | None = None,
        email: str | None = None,
        oidc_subject: str | None = None,
    ) -> UserRow:
        _check_role(role)
        hashed = None
        if password is not None:
            problem = password_problem(password)
            if problem:
                raise ValidationFailedError(problem)
            hashed = await self.auth.passwords.hash(password)
        user = await self.store.create_user(
            username=username,
            role=role,
            password_hash=hashed,
            display_name=display_name,
            email=email,
            oidc_subject=oidc_subject,
        )
        await self.auth.audit.record(
            "user.create",
            actor=actor,
            target=user.id,
            details={"username": user.username, "role": role, "sso": oidc_subject is not None},
        )
        return user

    async def update_user(self, user_id: str, *, changes: dict[str, Any], actor: Actor) -> UserRow:
        """Apply ``changes`` (role, active, password, policy fields); audits what changed."""
        before = await self.store.get_user(user_id)
        changes = dict(changes)
        if "role" in changes:
            _check_role(str(changes["role"]))
        demoting = changes.get("role", before.role) != "admin" or changes.get("active") is False
        if before.role == "admin" and before.active and demoting:
            await self._keep_one_admin(before)
        password = changes.pop("password", None)
        if password is not None:
            await self.auth.set_password(user_id, str(password))
        after = await self.store.update_user(user_id, **changes) if changes else before
        diff: dict[str, Any] = {
            name: {"from": getattr(before, name), "to": value}
            for name, value in changes.items()
            if getattr(before, name) != value
        }
        if password is not None:
            diff["password"] = "reset"
        if password is not None or changes.get("active") is False:
            await self.store.delete_user_sessions(user_id)
        if diff:
            await self.auth.audit.record(
                _update_action(diff),
                actor=actor,
                target=user_id,
                details={"username": before.username, "changes": diff},
            )
        return after if password is None else await self.store.get_user(user_id)

    async def claim_unowned_conversations(self, user: UserRow, *, actor: Actor) -> int:
        """Conversations made in local mode (no owner) become ``user``'s."""
        claimed = await self.store.claim_unowned_conversations(user.id)
        if claimed:
            await self.auth.audit.record(
                "conversation.claim",
                actor=actor,
                target=user.id,
                details={"username": user.username, "conversations": claimed},
            )
        return claimed

    async def _keep_one_admin(self, user: UserRow) -> None:
        admins = [u for u in await self.store.list_users() if u.role == "admin" and u.active]
        if [u.id for u in admins] == [user.id]:
            raise ConflictError("this is the last active administrator; appoint another first")

    async def user_for_identity(self, identity: Identity, *, client: Client) -> UserRow:
        """The account of a single sign-on identity, created at its first sign-in if allowed.

        Accounts are matched by the provider's subject only, never by e-mail or username, so a
        provider account cannot take over a local one that happens to share its name."""
        user = await self.store.find_user_by_subject(identity.subject)
        oidc = self.auth.settings.oidc
        if user is None:
            if oidc is None or not oidc.create_users:
                raise AuthenticationError(
                    "single sign-on worked, but there is no account for you here; "
                    "ask an administrator"
                )
            user = await self.create_user(
                username=await self._free_username(identity),
                role=oidc.default_role,
                password=None,
                actor=Actor(name="single sign-on", ip=client.ip),
                display_name=identity.name,
                email=identity.email,
                oidc_subject=identity.subject,
            )
        if not user.active:
            raise AuthenticationError("your account is deactivated")
        return user

    async def _free_username(self, identity: Identity) -> str:
        raw = identity.username or (identity.email or "").partition("@")[0] or "user"
        base = re.sub(r"[^a-z0-9._@-]", "-", raw.lower()).strip("-._@")[:90] or "user"
        for n in range(1000):
            name = base if n == 0 else f"{base}-{n + 1}"
            if await self.store.find_user(name) is None:
                return name
        raise ConflictError(f"no free username for {base!r}")

    # first run ----------------------------------------------------------------------------

    async def setup_needed(self) -> bool:
        if self.auth.mode != "users":
            return False
        return await self.store.count_users(role="admin", active_only=True) == 0

    async def issue_setup_token(self) -> str | None:
        """A one-time token creating the first administrator, or None when one exists."""
        if not await self.setup_needed():
            return None
        await self.store.drop_tokens(purpose=SETUP)  # only the newest link works
        token = new_token()
        await self.store.put_token(
            digest=token_digest(token),
            purpose=SETUP,
            expires_at=utcnow() + timedelta(seconds=self.auth.settings.setup_token_ttl),
            data=None,
        )
        return token

    async def complete_setup(
        self, *, token: str, username: str, password: str, client: Client
    ) -> SignIn:
        if not await self.setup_needed():
            raise ConflictError("setup is done: an administrator exists")
        if await self.store.take_token(token_digest(token), purpose=SETUP) is None:
            raise AuthenticationError("the setup link is not valid (used, expired or replaced)")
        user = await self.create_user(
            username=username,
            role="admin",
            password=password,
            actor=Actor(name="first-run setup", ip=client.ip),
        )
        return await self.auth.sign_in(user, via="setup", client=client)


def _update_action(diff: dict[str, Any]) -> str:
    if "role" in diff:
        return "user.role_change"
    if diff.keys() & set(POLICY_FIELDS):
        return "user.policy_change"
    return "user.update"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationFailedError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
