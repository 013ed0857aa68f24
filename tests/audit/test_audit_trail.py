"""The audit trail over HTTP and the command line: what a run records (and what it does not),
search and export for administrators and auditors, and verification after tampering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from gov_support import CliResult, Governed, GovernedFactory, run_cli
from sqlalchemy import update

from llmcouncil.audit.tables import AuditRow

QUESTION = "Should Jane (jane.doe@example.com) get the Q3 bonus?"


async def council(*args: str) -> CliResult:
    return await asyncio.to_thread(run_cli, *args)


async def ask(server: Governed, username: str) -> str:
    client = await server.session(username)
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": QUESTION})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["run_id"])


async def test_a_run_is_recorded_without_its_question(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("aud", role="auditor")
    mia = await server.user("mia")
    run_id = await ask(server, "mia")
    auditor = await server.session("aud")
    page = (await auditor.get("/api/audit?action=council.run")).json()
    record = page["records"][0]
    assert record["target"] == run_id and record["outcome"] == "complete"
    assert record["actor_user_id"] == mia.id and record["actor_name"] == "mia"
    details = record["details"]
    assert details["preset"] == "default"
    assert "openai/gpt-5.1" in details["models"] and "x-ai/grok-4" in details["models"]
    assert details["tokens"]["prompt"] > 0 and details["cost"] > 0 and details["calls"] >= 9
    assert details["redactions"] == {"EMAIL_ADDRESS": 1}  # counted by the privacy guard
    assert "jane" not in json.dumps(page).lower() and "bonus" not in json.dumps(page)
    # Members cannot read the audit log.
    member = await server.session("mia")
    assert (await member.get("/api/audit")).status_code == 403


async def test_prompts_are_recorded_only_when_configured(governed: GovernedFactory) -> None:
    server = await governed(audit={"include_prompts": True})
    await server.user("root", role="admin")
    await ask(server, "root")
    admin = await server.session("root")
    record = (await admin.get("/api/audit?action=council.run")).json()["records"][0]
    assert "Q3 bonus" in record["details"]["question"]  # as stored: after redaction
    assert "jane.doe@example.com" not in record["details"]["question"]


async def test_search_filters_and_pages(governed: GovernedFactory) -> None:
    server = await governed()
    await server.user("root", role="admin")
    for name in ("a1", "a2", "a3"):
        await server.user(name)
    admin = await server.session("root")
    users = (await admin.get("/api/audit?action=user.")).json()["records"]
    assert [r["details"]["username"] for r in users] == ["a3", "a2", "a1", "root"]
    first = (await admin.get("/api/audit?limit=2")).json()
    assert len(first["records"]) == 2 and first["next_before_seq"]
    second = (await admin.get(f"/api/audit?limit=2&before_seq={first['next_before_seq']}")).json()
    assert second["records"][0]["seq"] == first["records"][-1]["seq"] - 1
    future = (await admin.get("/api/audit?since=2999-01-01T00:00:00Z")).json()
    assert future["records"] == []
    bad = await admin.get("/api/audit/verify?anchor=nonsense")
    assert bad.status_code == 422


async def test_export_and_verify_detect_tampering_and_say_where(
    governed: GovernedFactory, cli_env: str, tmp_path: Path
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    await server.user("mia")
    await ask(server, "mia")
    admin = await server.session("root")
    exported = await admin.get("/api/audit/export")
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = exported.text.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, len(lines) + 1))
    export = tmp_path / "audit.jsonl"
    export.write_text(exported.text)
    intact = await council("audit", "verify", "--file", str(export))
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stderr

    verified = (await admin.get("/api/audit/verify")).json()
    assert verified["ok"] is True
    head = f"{verified['head']['seq']}:{verified['head']['hash']}"
    # Someone with database access rewrites the outcome of the run's record.
    run_seq = next(json.loads(line)["seq"] for line in lines if '"council.run"' in line)
    async with server.runtime.engine.begin() as conn:
        await conn.execute(update(AuditRow).where(AuditRow.seq == run_seq).values(outcome="failed"))
    report = (await admin.get("/api/audit/verify")).json()
    assert report["ok"] is False
    assert [(p["seq"], p["kind"]) for p in report["problems"]] == [(run_seq, "altered")]
    broken = await council("audit", "verify", "--anchor", head)
    assert broken.returncode == 1
    assert f"record {run_seq}" in broken.stderr and "Traceback" not in broken.stderr

    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(line + "\n" for i, line in enumerate(lines) if i != 1))
    gap = await council("audit", "verify", "--file", str(edited))
    assert gap.returncode == 1 and "record 2 is missing" in gap.stderr


async def test_cli_export_writes_jsonl(
    governed: GovernedFactory, cli_env: str, tmp_path: Path
) -> None:
    server = await governed()
    await server.user("root", role="admin")
    out = tmp_path / "all.jsonl"
    result = await council("audit", "export", "-o", str(out))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records[0]["action"] == "user.create" and records[-1]["action"] == "audit.export"
    assert records[-1]["actor_name"].startswith("cli:")
