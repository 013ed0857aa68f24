"""Reads and writes of accounts, sessions, API keys and one-time tokens; one transaction each.

Lookups that authenticate a request (``session_user``, ``key_user``) read the database every
time, with no cache, so a revoked key, a deactivated user or a logout takes effect at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from llmcouncil.auth.tables import ApiKeyRow, OneTimeTokenRow, SessionRow, UserRow
from llmcouncil.errors import ConflictError, NotFoundError, ValidationFailedError
from llmcouncil.store.tables import ConversationRow, utcnow

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
USER_FIELDS = frozenset(
    {
        "display_name",
        "email",
        "password_hash",
        "role",
        "active",
        "allowed_presets",
        "allowed_models",
        "read_all_conversations",
        "rate_limits",
        "last_login_at",
    }
)


def normalise_username(raw: str) -> str:
    name = raw.strip().lower()
    if not USERNAME.fullmatch(name):
        raise ValidationFailedError(
            "a username is 1–100 characters: letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True, slots=True)
class SessionUser:
    session: SessionRow
    user: UserRow


@dataclass(frozen=True, slots=True)
class KeyUser:
    key: ApiKeyRow
    user: UserRow


class AuthStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    # users --------------------------------------------------------------------------------

    async def count_users(self, *, role: str | None = None, active_only: bool = False) -> int:
        stmt = select(func.count()).select_from(UserRow)
        if role is not None:
            stmt = stmt.where(UserRow.role == role)
        if active_only:
            stmt = stmt.where(UserRow.active.is_(True))
        async with self._sessions() as session:
            return int(await session.scalar(stmt) or 0)

    async def create_user(
        self,
        *,
        username: str,
        role: str,
        password_hash: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        oidc_subject: str | None = None,
    ) -> UserRow:
        row = UserRow(
            id=str(uuid.uuid4()),
            username=normalise_username(username),
            role=role,
            password_hash=password_hash,
            display_name=display_name,
            email=email,
            oidc_subject=oidc_subject,
            active=True,
            read_all_conversations=False,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as exc:
            raise ConflictError(f"the username {row.username!r} is taken") from exc
        return row

    async def get_user(self, user_id: str) -> UserRow:
        async with self._sessions() as session:
            row = await session.get(UserRow, user_id)
        if row is None:
            raise NotFoundError(f"user {user_id} does not exist")
        return row

    async def find_user(self, username: str) -> UserRow | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(UserRow).where(UserRow.username == username.strip().lower())
            )

    async def find_user_by_subject(self, subject: str) -> UserRow | None:
        async with self._sessions() as session:
            return await session.scalar(select(UserRow).where(UserRow.oidc_subject == subject))

    async def list_users(self) -> Sequence[UserRow]:
        async with self._sessions() as session:
            return (await session.scalars(select(UserRow).order_by(UserRow.username))).all()

    async def update_user(self, user_id: str, **changes: Any) -> UserRow:
        unknown = set(changes) - USER_FIELDS
        if unknown:
            raise ValueError(f"not user fields: {sorted(unknown)}")
        async with self._sessions.begin() as session:
            row = await session.get(UserRow, user_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"user {user_id} does not exist")
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
        return row

    async def claim_unowned_conversations(self, user_id: str) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationRow)
                .where(ConversationRow.user_id.is_(None))
                .values(user_id=user_id)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # sessions -----------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        digest: str,
        user_id: str,
        csrf_token: str,
        via: str,
        expires_at: datetime,
        ip: str | None,
        user_agent: str | None,
    ) -> SessionRow:
        row = SessionRow(
            id=digest,
            user_id=user_id,
            csrf_token=csrf_token,
            via=via,
            expires_at=expires_at,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        async with self._sessions.begin() as session:
            # Expired sessions of anyone are cleared here rather than by a background job.
            await session.execute(delete(SessionRow).where(SessionRow.expires_at <= utcnow()))
            session.add(row)
        return row

    async def session_user(self, digest: str) -> SessionUser | None:
        """The live session with this digest and its active user, or None."""
        stmt = (
            select(SessionRow, UserRow)
            .join(UserRow, UserRow.id == SessionRow.user_id)
            .where(SessionRow.id == digest, SessionRow.expires_at > utcnow())
            .where(UserRow.active.is_(True))
        )
        async with self._sessions() as session:
            found = (await session.execute(stmt)).first()
        return SessionUser(session=found[0], user=found[1]) if found else None

    async def delete_session(self, digest: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(SessionRow).where(SessionRow.id == digest))

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        stmt = delete(SessionRow).where(SessionRow.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(SessionRow.id != keep)
        async with self._sessions.begin() as session:
            result = await session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    # API keys -----------------------------------------------------------------------------

    async def create_key(
        self,
        *,
        user_id: str,
        name: str,
        prefix: str,
        secret_hash: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> ApiKeyRow:
        row = ApiKeyRow(
            id=str(uuid.uuid4()),
            user_id=user_id,
            name=name,
            prefix=prefix,
            secret_hash=secret_hash,
            scopes=scopes,
            expires_at=expires_at,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return row

    async def key_user(self, prefix: str) -> KeyUser | None:
        """The key with this prefix and its owner, whatever their state (the caller decides)."""
        stmt = (
            select(ApiKeyRow, UserRow)
            .join(UserRow, UserRow.id == ApiKeyRow.user_id)
            .where(ApiKeyRow.prefix == prefix)
        )
        async with self._sessions() as session:
            found = (await session.execute(stmt)).first()
        return KeyUser(key=found[0], user=found[1]) if found else None

    async def touch_key(self, key_id: str, moment: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=moment)
            )

    async def get_key(self, key_id: str) -> ApiKeyRow:
        async with self._sessions() as session:
            row = await session.get(ApiKeyRow, key_id)
        if row is None:
            raise NotFoundError(f"API key {key_id} does not exist")
        return row

    async def list_keys(self, *, user_id: str | None) -> Sequence[ApiKeyRow]:
        stmt = select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id)
        if user_id is not None:
            stmt = stmt.where(ApiKeyRow.user_id == user_id)
        async with self._sessions() as session:
            return (await session.scalars(stmt)).all()

    async def revoke_key(self, key_id: str) -> ApiKeyRow:
        async with self._sessions.begin() as session:
            row = await session.get(ApiKeyRow, key_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"API key {key_id} does not exist")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
        return row

    # one-time tokens ----------------------------------------------------------------------

    async def put_token(
        self, *, digest: str, purpose: str, expires_at: datetime, data: dict[str, Any] | None
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(OneTimeTokenRow).where(OneTimeTokenRow.expires_at <= utcnow())
            )
            session.add(
                OneTimeTokenRow(id=digest, purpose=purpose, data=data, expires_at=expires_at)
            )

    async def take_token(self, digest: str, *, purpose: str) -> dict[str, Any] | None:
        """Consume a one-time token: its data if it existed and had not expired, else None.

        The DELETE decides: of two concurrent uses, exactly one removes the row."""
        async with self._sessions.begin() as session:
            row = await session.get(OneTimeTokenRow, digest)
            if row is None or row.purpose != purpose:
                return None
            result = await session.execute(
                delete(OneTimeTokenRow).where(OneTimeTokenRow.id == digest)
            )
            if not getattr(result, "rowcount", 0) or row.expires_at <= utcnow():
                return None
            return dict(row.data or {})

    async def drop_tokens(self, *, purpose: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(OneTimeTokenRow).where(OneTimeTokenRow.purpose == purpose))
