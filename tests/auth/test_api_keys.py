"""API keys: shown once, stored hashed, prefix visible, scopes, expiry, last use, revocation."""

from __future__ import annotations

from datetime import timedelta

from gov_support import GovernedFactory
from sqlalchemy import select, update

from llmcouncil.auth.tables import ApiKeyRow
from llmcouncil.store.tables import utcnow


async def test_key_is_shown_once_and_stored_hashed(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    mia = await server.session("mia")
    created = await mia.post("/api/keys", json={"name": "ci", "expires_in_days": 30})
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["key"]
    assert secret.startswith(body["prefix"] + "_") and body["scopes"] == ["conversations"]
    assert body["expires_at"] and body["active"] is True and body["last_used_at"] is None
    listed = await mia.get("/api/keys")
    assert secret not in listed.text and listed.json()[0]["prefix"] == body["prefix"]
    async with server.runtime.engine.connect() as conn:
        stored = (await conn.execute(select(ApiKeyRow.secret_hash, ApiKeyRow.prefix))).one()
    assert secret not in stored and stored.secret_hash != secret and len(stored.secret_hash) == 64

    program = server.bearer(secret)
    cid = (await program.post("/api/conversations", json={})).json()["id"]
    answer = await program.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
    assert answer.status_code == 200 and answer.json()["status"] == "complete"
    assert (await mia.get("/api/keys")).json()[0]["last_used_at"] is not None
    # The conversation belongs to the key's owner: it shows in her list.
    assert [c["id"] for c in (await mia.get("/api/conversations")).json()] == [cid]


async def test_revocation_takes_effect_at_once(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    mia = await server.session("mia")
    body = (await mia.post("/api/keys", json={"name": "ci"})).json()
    program = server.bearer(body["key"])
    assert (await program.get("/api/conversations")).status_code == 200
    assert (await mia.delete(f"/api/keys/{body['id']}")).status_code == 204
    refused = await program.get("/api/conversations")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]["message"]
    assert (await mia.get("/api/keys")).json()[0]["active"] is False


async def test_expired_and_malformed_keys(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    key = await server.key("mia", expires_in_days=1)
    program = server.bearer(key)
    assert (await program.get("/api/conversations")).status_code == 200
    async with server.runtime.engine.begin() as conn:
        await conn.execute(update(ApiKeyRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = await program.get("/api/conversations")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]["message"]
    forged = server.bearer(key[:-4] + "AAAA")
    assert (await forged.get("/api/conversations")).status_code == 401
    basic = server.client(headers={"Authorization": "Basic bWlhOnB3"})
    assert (await basic.get("/api/conversations")).status_code == 401


async def test_scopes_limit_a_key_and_stay_within_the_role(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("mia")
    await server.user("aud", role="auditor")
    usage_only = await server.key_client("mia", ["usage"])
    assert (await usage_only.get("/api/usage")).status_code == 200
    denied = await usage_only.post("/api/conversations", json={})
    assert denied.status_code == 403 and "conversations" in denied.json()["detail"]["message"]
    mia = await server.session("mia")
    too_much = await mia.post("/api/keys", json={"name": "x", "scopes": ["admin"]})
    assert too_much.status_code == 403
    unknown = await mia.post("/api/keys", json={"name": "x", "scopes": ["root"]})
    assert unknown.status_code == 403 and "unknown scope" in unknown.json()["detail"]["message"]
    auditor = await server.session("aud")
    audit_key = await auditor.post("/api/keys", json={"name": "siem", "scopes": ["audit"]})
    assert audit_key.status_code == 201
    siem = server.bearer(audit_key.json()["key"])
    assert (await siem.get("/api/audit")).status_code == 200
    # A key without the "keys" scope cannot mint more keys.
    assert (await usage_only.post("/api/keys", json={"name": "y"})).status_code == 403


async def test_a_role_change_narrows_existing_keys(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    mia_user = await server.user("mia")
    program = await server.key_client("mia")
    admin = await server.session("root")
    assert (await program.post("/api/conversations", json={})).status_code == 200
    changed = await admin.patch(f"/api/users/{mia_user.id}", json={"role": "auditor"})
    assert changed.status_code == 200
    assert (await program.post("/api/conversations", json={})).status_code == 403


async def test_admin_sees_and_revokes_any_key_members_do_not(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await server.user("bob")
    await server.key("mia", name="mia's")
    bob = await server.session("bob")
    assert (await bob.get("/api/keys?everyone=true")).json() == []
    admin = await server.session("root")
    everyone = (await admin.get("/api/keys?everyone=true")).json()
    assert [k["name"] for k in everyone] == ["mia's"]
    assert (await bob.delete(f"/api/keys/{everyone[0]['id']}")).status_code == 404
    assert (await admin.delete(f"/api/keys/{everyone[0]['id']}")).status_code == 204
    records = (await admin.get("/api/audit?action=key.")).json()["records"]
    assert [r["action"] for r in records] == ["key.revoke", "key.create"]
    assert all("lc_" not in str(r["details"].get("secret", "")) for r in records)
