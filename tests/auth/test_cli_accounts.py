"""``council users`` and ``council keys`` as real processes, against the server's database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from gov_support import FAST_HASH, PASSWORD


def council(
    *args: str, db: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env["COUNCIL_DATABASE_URL"] = db
    # Scripts set the same fast hashing the test server uses (never lowered by default).
    env["COUNCIL_AUTH__PASSWORD_HASH__MEMORY_COST"] = str(FAST_HASH.memory_cost)
    env["COUNCIL_AUTH__PASSWORD_HASH__TIME_COST"] = "1"
    env["COUNCIL_AUTH__PASSWORD_HASH__PARALLELISM"] = "1"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "llmcouncil", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_bootstrap_an_admin_and_a_key_from_the_command_line(
    make_settings: Any, start_server: Any, sqlite_url: str, tmp_path: Path
) -> None:
    settings = make_settings(auth={"password_hash": FAST_HASH})
    local = await start_server(settings)  # no account yet: local mode
    async with httpx.AsyncClient(base_url=local.base_url) as client:
        made = await client.post("/api/conversations", json={})
        old = made.json()["id"]

    weak = council(
        "users",
        "create",
        "ada",
        "--admin",
        "--password-stdin",
        db=sqlite_url,
        cwd=tmp_path,
        stdin="short\n",
    )
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    created = council(
        "users",
        "create",
        "ada",
        "--admin",
        "--password-stdin",
        "--claim-conversations",
        db=sqlite_url,
        cwd=tmp_path,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created admin ada" in created.stdout and "1 conversation(s)" in created.stdout
    keyed = council(
        "keys",
        "create",
        "--user",
        "ada",
        "--name",
        "ci",
        "--scope",
        "conversations",
        "--scope",
        "audit",
        db=sqlite_url,
        cwd=tmp_path,
    )
    assert keyed.returncode == 0, keyed.stderr
    secret = keyed.stdout.strip()
    assert secret.startswith("lc_") and secret not in keyed.stderr

    server = await start_server(settings)  # restarted: an account exists, sign-in is on
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"}
    ) as program:
        listed = (await program.get("/api/conversations")).json()
        assert [c["id"] for c in listed] == [old]  # claimed from local mode
        audit = (await program.get("/api/audit?action=user.create")).json()["records"]
        assert audit[0]["actor_name"].startswith("cli:")
        revoked = council("keys", "revoke", secret[:15], db=sqlite_url, cwd=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert (await program.get("/api/conversations")).status_code == 401

    roles = council("users", "set-role", "ada", "member", db=sqlite_url, cwd=tmp_path)
    assert roles.returncode == 1 and "last active administrator" in roles.stderr
    missing = council("users", "set-role", "nobody", "member", db=sqlite_url, cwd=tmp_path)
    assert missing.returncode == 3
    listed_users = json.loads(
        council("users", "list", "--json", db=sqlite_url, cwd=tmp_path).stdout
    )
    assert [(u["username"], u["role"]) for u in listed_users] == [("ada", "admin")]
