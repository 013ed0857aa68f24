"""``council users`` and ``council keys`` (the real entry point), on the server's database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from gov_support import FAST_HASH, PASSWORD, CliResult, run_cli


async def council(*args: str, stdin: str | None = None) -> CliResult:
    return await asyncio.to_thread(run_cli, *args, stdin=stdin)


async def test_bootstrap_an_admin_and_a_key_from_the_command_line(
    make_settings: Any, start_server: Any, cli_env: str
) -> None:
    settings = make_settings(auth={"password_hash": FAST_HASH})
    local = await start_server(settings)  # no account yet: local mode
    async with httpx.AsyncClient(base_url=local.base_url, timeout=60) as client:
        made = await client.post("/api/conversations", json={})
        old = made.json()["id"]

    weak = await council(
        "users",
        "create",
        "ada",
        "--admin",
        "--password-stdin",
        stdin="short\n",
    )
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    created = await council(
        "users",
        "create",
        "ada",
        "--admin",
        "--password-stdin",
        "--claim-conversations",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "created admin ada" in created.stdout and "1 conversation(s)" in created.stdout
    keyed = await council(
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
    )
    assert keyed.returncode == 0, keyed.stderr
    secret = keyed.stdout.strip()
    assert secret.startswith("lc_") and secret not in keyed.stderr

    server = await start_server(settings)  # restarted: an account exists, sign-in is on
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    ) as program:
        listed = (await program.get("/api/conversations")).json()
        assert [c["id"] for c in listed] == [old]  # claimed from local mode
        audit = (await program.get("/api/audit?action=user.create")).json()["records"]
        assert audit[0]["actor_name"].startswith("cli:")
        revoked = await council("keys", "revoke", secret[:15])
        assert revoked.returncode == 0, revoked.stderr
        assert (await program.get("/api/conversations")).status_code == 401

    roles = await council("users", "set-role", "ada", "member")
    assert roles.returncode == 1 and "last active administrator" in roles.stderr
    missing = await council("users", "set-role", "nobody", "member")
    assert missing.returncode == 3
    listed_users = json.loads((await council("users", "list", "--json")).stdout)
    assert [(u["username"], u["role"]) for u in listed_users] == [("ada", "admin")]
