"""A conversation's privacy vault is written only over the token it was read as (SQLite and
PostgreSQL): a write with a stale read token stores nothing of its transaction and raises;
of two writers of one read token exactly one is stored; a writer that keeps losing gives up
with a 503."""

from __future__ import annotations

import asyncio

import pytest

from llmcouncil.api.errors import council_error_response
from llmcouncil.documents.model import Section
from llmcouncil.documents.repository import DocumentStore, NewDocument
from llmcouncil.errors import NotFoundError, VaultChangedError, VaultContendedError
from llmcouncil.store.database import create_engine
from llmcouncil.store.repository import Store
from llmcouncil.store.vault_writes import VaultWrite, retry_on_vault_change


async def _vault(store: Store, conversation_id: str) -> str | None:
    return (await store.get_conversation(conversation_id)).pii_vault


async def _start(store: Store, conversation_id: str, vault: VaultWrite) -> None:
    await store.start_run(
        conversation_id=conversation_id,
        content="about <PASSWORD_1>",
        idempotency_key=None,
        council={"members": ["a"]},
        seed=1,
        simulated=False,
        worker_id="w",
        pii_vault=vault,
    )


def _document(conversation_id: str) -> NewDocument:
    return NewDocument(
        conversation_id=conversation_id,
        kind="text",
        media_type="text/plain",
        filename="notes.txt",
        title="Notes",
        content_hash="0" * 64,
        size_bytes=10,
        pages=None,
        meta={},
        sections=[Section(0, "1", "One", 1, "<PASSWORD_1> is set", None, None)],
        privacy=None,
    )


async def test_a_vault_written_over_the_token_it_read_is_stored(store: Store) -> None:
    conversation = await store.create_conversation()
    await store.save_vault(conversation.id, VaultWrite(read=None, sealed="v1"))
    await _start(store, conversation.id, VaultWrite(read="v1", sealed="v2"))
    await DocumentStore(store.engine).add(
        _document(conversation.id), vault=VaultWrite(read="v2", sealed="v3")
    )
    assert await _vault(store, conversation.id) == "v3"


async def test_a_vault_write_over_a_stale_token_stores_nothing_and_raises(store: Store) -> None:
    conversation = await store.create_conversation()
    await store.save_vault(conversation.id, VaultWrite(read=None, sealed="theirs"))
    stale = VaultWrite(read=None, sealed="mine")  # read before "theirs" was written
    with pytest.raises(VaultChangedError):
        await store.save_vault(conversation.id, stale)
    with pytest.raises(VaultChangedError):
        await _start(store, conversation.id, stale)
    documents = DocumentStore(store.engine)
    with pytest.raises(VaultChangedError):
        await documents.add(_document(conversation.id), vault=stale)
    # Nothing of any of the three transactions was stored.
    assert await _vault(store, conversation.id) == "theirs"
    detail = await store.conversation_detail(conversation.id)
    assert (detail.messages, detail.runs) == ([], {})
    assert await documents.list_documents(conversation.id) == []


async def test_a_vault_write_to_a_missing_conversation_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.save_vault("no-such-id", VaultWrite(read=None, sealed="v"))
    with pytest.raises(NotFoundError):
        await _start(store, "no-such-id", VaultWrite(read=None, sealed="v"))


async def test_of_two_writers_of_one_read_token_exactly_one_is_stored(store: Store) -> None:
    """Two engines, as two processes would have, write at once over the same read token."""
    conversation = await store.create_conversation()
    other = Store(create_engine(str(store.engine.url.render_as_string(hide_password=False))))
    try:
        outcomes = await asyncio.gather(
            _start(store, conversation.id, VaultWrite(read=None, sealed="first")),
            _start(other, conversation.id, VaultWrite(read=None, sealed="second")),
            return_exceptions=True,
        )
    finally:
        await other.engine.dispose()
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(lost) == 1 and isinstance(lost[0], VaultChangedError), outcomes
    won = "first" if outcomes[0] is None else "second"
    assert await _vault(store, conversation.id) == won
    detail = await store.conversation_detail(conversation.id)
    assert len(detail.messages) == 1  # the loser's message and run are not stored


async def test_a_write_is_tried_again_against_the_fresh_vault_until_it_is_stored(
    store: Store,
) -> None:
    conversation = await store.create_conversation()
    rival_writes = iter(["r1", "r2"])
    attempts: list[str | None] = []

    async def attempt() -> None:
        read = await _vault(store, conversation.id)
        attempts.append(read)
        rival = next(rival_writes, None)
        if rival is not None:  # another process writes between this read and this write
            await store.save_vault(conversation.id, VaultWrite(read=read, sealed=rival))
        await store.save_vault(conversation.id, VaultWrite(read=read, sealed=f"after {read}"))

    await retry_on_vault_change(attempt, conversation_id=conversation.id)
    assert attempts == [None, "r1", "r2"]
    assert await _vault(store, conversation.id) == "after r2"


async def test_a_write_that_keeps_losing_ends_with_a_503_and_stores_nothing(store: Store) -> None:
    conversation = await store.create_conversation()
    tries = 0

    async def attempt() -> None:
        nonlocal tries
        tries += 1
        read = await _vault(store, conversation.id)
        await store.save_vault(conversation.id, VaultWrite(read=read, sealed=f"rival {tries}"))
        await _start(store, conversation.id, VaultWrite(read=read, sealed="mine"))

    with pytest.raises(VaultContendedError) as raised:
        await retry_on_vault_change(attempt, conversation_id=conversation.id, attempts=3)
    assert tries == 3
    response = council_error_response(raised.value)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert b"privacy_vault_contended" in response.body
    assert await _vault(store, conversation.id) == "rival 3"
    assert (await store.conversation_detail(conversation.id)).messages == []
