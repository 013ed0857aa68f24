"""A conversation's privacy vault is written only over the token it was read as.

Every write of ``conversations.pii_vault`` is a read-modify-write: read the sealed token, open
it, add the placeholders of new text, seal it again, store it. ``PrivacyGuard.writing`` (an
asyncio lock) orders the writers of one process; it cannot see another process (several
``council serve`` instances, ``council worker`` reading documents), and two writers there would
each store their own vault, the last one dropping the other's entries (a secret redacted once
could then leave unredacted, a placeholder restore to another value).

So the write is a compare-and-set, in the same transaction as what the write belongs to (a run
and its message, a document and its sections): ``UPDATE … WHERE pii_vault IS NOT DISTINCT FROM
:read``. When no row matches, another process wrote the vault since it was read: the whole
transaction is rolled back and ``VaultChangedError`` raised. ``retry_on_vault_change`` runs the
caller's read-redact-write again against the fresh vault, a bounded number of times, then gives
up with ``VaultContendedError`` (HTTP 503) rather than store anything over a vault it did not
read. SQLite takes its write lock at the UPDATE; PostgreSQL re-checks the WHERE clause on the
row a concurrent writer committed, so of two writers of one read token exactly one matches.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, select, update

from llmcouncil.errors import NotFoundError, VaultChangedError, VaultContendedError
from llmcouncil.store.tables import CONVERSATIONS

log = logging.getLogger(__name__)

T = TypeVar("T")

# Each attempt lost means another writer of the same conversation committed in between; five in
# a row needs five writers queued on one conversation within one redaction's time.
VAULT_WRITE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class VaultWrite:
    """A conversation's re-sealed vault, and the stored token it was opened from."""

    read: str | None
    sealed: str


# The SET clause is the execution's parameters (statements.py); ``b_`` parameters cannot clash
# with a column's name.
_WRITE_VAULT = update(CONVERSATIONS).where(
    CONVERSATIONS.c.id == bindparam("b_id"),
    CONVERSATIONS.c.pii_vault.is_not_distinct_from(bindparam("b_read")),
)
_EXISTS = select(CONVERSATIONS.c.id).where(CONVERSATIONS.c.id == bindparam("b_id"))


def write_vault(
    connection: Connection, conversation_id: str, write: VaultWrite, **also: Any
) -> None:
    """Store ``write.sealed`` (and the columns in ``also``) if the vault is still
    ``write.read``. Raises ``VaultChangedError`` if it is not, ``NotFoundError`` if the
    conversation does not exist: either way the caller's transaction must roll back, which
    raising does. Make it (or another write) the transaction's first statement: SQLite then
    takes its write lock before anything is read."""
    changed = connection.execute(
        _WRITE_VAULT,
        {"b_id": conversation_id, "b_read": write.read, "pii_vault": write.sealed, **also},
    )
    if changed.rowcount:
        return
    if connection.execute(_EXISTS, {"b_id": conversation_id}).first() is None:
        raise NotFoundError(f"conversation {conversation_id} does not exist")
    raise VaultChangedError(
        f"the privacy vault of conversation {conversation_id} changed since it was read"
    )


async def retry_on_vault_change(
    attempt: Callable[[], Awaitable[T]],
    *,
    conversation_id: str,
    attempts: int = VAULT_WRITE_ATTEMPTS,
) -> T:
    """``attempt()`` until it does not raise ``VaultChangedError``, at most ``attempts`` times.

    Each attempt must read the conversation's vault itself, redact against it and write with
    ``write_vault`` in one transaction, so a retry starts from what the other writer stored.
    Call it under ``PrivacyGuard.writing(conversation_id)``: this process's own writers then
    never conflict, only other processes' do."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except VaultChangedError:
            log.info(
                "the privacy vault of conversation %s was written elsewhere meanwhile "
                "(attempt %d of %d); reading it again",
                conversation_id,
                number,
                attempts,
            )
    raise VaultContendedError(
        f"the privacy vault of conversation {conversation_id} kept changing under this request "
        f"({attempts} attempts): other requests are writing it; nothing was stored, send it again"
    )
