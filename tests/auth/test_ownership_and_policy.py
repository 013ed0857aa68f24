"""Every conversation belongs to its user; roles and per-user policy limit presets and models."""

from __future__ import annotations

from gov_support import GovernedFactory

from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimServer

MEMBERS = [
    "openai/gpt-5.1",
    "google/gemini-3-pro-preview",
    "anthropic/claude-sonnet-4.5",
    "x-ai/grok-4",
]
CHAIRMAN = "google/gemini-3-pro-preview"


async def test_conversations_are_private_to_their_owner(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await server.user("bob")
    mia = await server.session("mia")
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    await mia.post(f"/api/conversations/{cid}/message", json={"content": "my salary question"})
    bob = await server.session("bob")
    assert (await bob.get("/api/conversations")).json() == []
    assert (await bob.get("/api/conversations?owner=all")).json() == []  # no grant: still own
    seen = await bob.get(f"/api/conversations/{cid}")
    assert seen.status_code == 404 and "salary" not in seen.text
    # An administrator does not read others' conversations unless policy says so.
    admin = await server.session("root")
    assert (await admin.get(f"/api/conversations/{cid}")).status_code == 404
    assert (await admin.get("/api/conversations")).json() == []


async def test_another_users_idempotency_key_joins_nothing(governed: GovernedFactory) -> None:
    """The key names a run of that conversation: only its owner may join it, or start one."""
    server = await governed()
    await server.user("mia")
    await server.user("bob")
    mia = await server.session("mia")
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    key = {"Idempotency-Key": "plan-1"}
    url = f"/api/conversations/{cid}/message"
    ran = await mia.post(url, json={"content": "my salary question"}, headers=key)
    assert ran.status_code == 200
    bob = await server.session("bob")
    for path in (url, f"{url}/stream"):
        tried = await bob.post(path, json={"content": "my salary question"}, headers=key)
        assert tried.status_code == 404 and "salary" not in tried.text
    again = await mia.post(url, json={"content": "my salary question"}, headers=key)
    assert again.json()["run_id"] == ran.json()["run_id"]  # the owner still joins her run
    assert len((await mia.get(f"/api/conversations/{cid}")).json()["messages"]) == 2


async def test_a_granted_auditor_reads_but_cannot_write_and_is_audited(
    governed: GovernedFactory,
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await server.user("aud", role="auditor", read_all_conversations=True)
    mia = await server.session("mia")
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    await mia.post(f"/api/conversations/{cid}/message", json={"content": "quarterly numbers"})
    auditor = await server.session("aud")
    assert [c["id"] for c in (await auditor.get("/api/conversations?owner=all")).json()] == [cid]
    read = await auditor.get(f"/api/conversations/{cid}")
    assert read.status_code == 200 and "quarterly numbers" in read.text
    assert (await auditor.get(f"/api/conversations/{cid}/export")).status_code == 200
    write = await auditor.post(f"/api/conversations/{cid}/message", json={"content": "x"})
    assert write.status_code == 403
    assert (await auditor.delete(f"/api/conversations/{cid}")).status_code == 403
    # The grant holds for a signed-in person, not for their API keys.
    key = await auditor.post("/api/keys", json={"name": "k", "scopes": ["usage"]})
    assert (
        await server.bearer(key.json()["key"]).get(f"/api/conversations/{cid}")
    ).status_code == 403
    admin = await server.session("root")
    reads = (await admin.get("/api/audit?action=conversation.read")).json()["records"]
    assert len(reads) == 2 and reads[0]["target"] == cid and reads[0]["actor_name"] == "aud"
    assert "quarterly" not in str(reads)


async def test_per_user_model_policy_refuses_before_anything_leaves(
    governed: GovernedFactory, sim: SimServer
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia", allowed_models=["openai/*", "google/gemini-2.5-flash"])
    mia = await server.session("mia")
    refused = await mia.post("/api/conversations", json={"members": MEMBERS, "chairman": CHAIRMAN})
    assert refused.status_code == 403
    assert "x-ai/grok-4" in refused.json()["detail"]["message"]
    # A default-preset conversation can be made, but not run: the policy holds at run time.
    cid = (await mia.post("/api/conversations", json={})).json()["id"]
    sent = await mia.post(f"/api/conversations/{cid}/message", json={"content": "hello"})
    assert sent.status_code == 403
    assert sim.requests == []  # nothing left the system
    assert (await mia.get(f"/api/conversations/{cid}")).json()["messages"] == []
    allowed = await mia.post(
        "/api/conversations", json={"members": ["openai/gpt-5.1"], "chairman": "openai/gpt-5.1"}
    )
    assert allowed.status_code == 200
    ok = await mia.post(
        f"/api/conversations/{allowed.json()['id']}/message", json={"content": "hi"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "complete"
    admin = await server.session("root")
    refusals = (await admin.get("/api/audit?action=council.run&outcome=refused")).json()
    assert refusals["records"][0]["details"]["reason"] == "forbidden"
    assert "hello" not in str(refusals)


async def test_role_policy_limits_presets(governed: GovernedFactory) -> None:
    server = await governed(
        presets={
            "default": PresetSettings(members=MEMBERS, chairman=CHAIRMAN),
            "expensive": PresetSettings(members=MEMBERS[:2], chairman=CHAIRMAN),
        },
        auth={"roles": {"member": {"presets": ["default"]}}},
    )
    await server.user("root", role="admin")
    await server.user("mia")
    mia = await server.session("mia")
    assert (await mia.post("/api/conversations", json={"preset": "expensive"})).status_code == 403
    assert (await mia.post("/api/conversations", json={"preset": "default"})).status_code == 200
    admin = await server.session("root")
    assert (await admin.post("/api/conversations", json={"preset": "expensive"})).status_code == 200
    # A per-user list overrides the role's.
    mia_id = (await server.governance.auth.store.find_user("mia")).id
    granted = await admin.patch(f"/api/users/{mia_id}", json={"allowed_presets": ["*"]})
    assert granted.status_code == 200
    assert (await mia.post("/api/conversations", json={"preset": "expensive"})).status_code == 200
    changes = (await admin.get("/api/audit?action=user.policy_change")).json()["records"]
    assert changes[0]["details"]["changes"]["allowed_presets"] == {"from": None, "to": ["*"]}


async def test_role_changes_are_audited(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    mia = await server.user("mia")
    admin = await server.session("root")
    made = await admin.post("/api/users", json={"username": "Neo", "password": "x" * 12})
    assert made.status_code == 201 and made.json()["username"] == "neo"
    taken = await admin.post("/api/users", json={"username": "neo", "password": "x" * 12})
    assert taken.status_code == 409
    weak = await admin.post("/api/users", json={"username": "eve", "password": "short"})
    assert weak.status_code == 422
    await admin.patch(f"/api/users/{mia.id}", json={"role": "auditor"})
    record = (await admin.get("/api/audit?action=user.role_change")).json()["records"][0]
    assert record["target"] == mia.id and record["actor_name"] == "root"
    assert record["details"]["changes"]["role"] == {"from": "member", "to": "auditor"}
    listed = (await admin.get("/api/users")).json()
    assert {u["username"]: u["role"] for u in listed} == {
        "mia": "auditor",
        "neo": "member",
        "root": "admin",
    }


async def test_self_moa_s_sampled_model_is_held_to_the_model_policy(
    governed: GovernedFactory, sim: SimServer
) -> None:
    """In mode self-moa one model answers several times: it receives the question, so a person
    who may not send data to it is refused, as for a member."""
    server = await governed(preset={"sample_model": "x-ai/grok-4"})
    await server.user("root", role="admin")
    await server.user("mia", allowed_models=["openai/*", "google/gemini-2.5-flash"])
    mia = await server.session("mia")
    council = {"members": ["openai/gpt-5.1"], "chairman": "openai/gpt-5.1"}
    cid = (await mia.post("/api/conversations", json=council)).json()["id"]
    refused = await mia.post(
        f"/api/conversations/{cid}/message", json={"content": "hello", "mode": "self-moa"}
    )
    assert refused.status_code == 403, refused.text
    assert "x-ai/grok-4" in refused.json()["detail"]["message"]
    assert sim.requests == []
    classic = await mia.post(f"/api/conversations/{cid}/message", json={"content": "hi"})
    assert classic.status_code == 200 and classic.json()["status"] == "complete"
