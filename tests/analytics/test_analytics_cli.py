"""``council vote`` and ``council analytics`` on the server's database: a vote from the command
line is the local person's vote; reports as a table, JSON and CSV; rebuild writes figures of
runs settled before analytics."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import httpx
from gov_support import run_cli
from sqlalchemy import delete
from support import MEMBERS

from llmcouncil.analytics.tables import RUN_FIGURES
from llmcouncil.store.database import create_engine


async def ask(client: httpx.AsyncClient) -> dict[str, object]:
    cid = (await client.post("/api/conversations", json={})).json()["id"]
    answer = await client.post(f"/api/conversations/{cid}/message", json={"content": "hi there"})
    assert answer.status_code == 200, answer.text
    return {"cid": cid, **answer.json()}


async def test_vote_from_the_command_line(cli_env: str, client: httpx.AsyncClient) -> None:
    result = await ask(client)
    run_id = str(result["run_id"])
    labels = sorted(result["metadata"]["label_to_model"])  # type: ignore[index]

    cast = await asyncio.to_thread(
        run_cli, "vote", run_id[:8], "--prefer", labels[2], "--rating", "down", "--comment", "no"
    )
    assert cast.returncode == 0, cast.stderr
    assert f"your pick: {labels[2]}" in cast.stdout and "the council ranked:" in cast.stdout
    # The web UI in local mode sees the same person's vote.
    url = f"/api/conversations/{result['cid']}/runs/{run_id}/vote"
    assert (await client.get(url)).json()["preferred_label"] == labels[2]

    shown = await asyncio.to_thread(run_cli, "vote", run_id, "--show", "--json")
    assert json.loads(shown.stdout)["rating"] == "down"
    unknown = await asyncio.to_thread(run_cli, "vote", run_id, "--prefer", "Response Q")
    assert unknown.returncode == 2 and "unknown label 'Response Q'" in unknown.stderr
    missing = await asyncio.to_thread(run_cli, "vote", "nope", "--rating", "up")
    assert missing.returncode == 3
    gone = await asyncio.to_thread(run_cli, "vote", run_id, "--withdraw")
    assert gone.returncode == 0 and (await client.get(url)).status_code == 404


async def test_reports_and_rebuild(cli_env: str, client: httpx.AsyncClient) -> None:
    await ask(client)
    await ask(client)
    table = await asyncio.to_thread(run_cli, "analytics", "models")
    assert table.returncode == 0, table.stderr
    assert "2 runs" in table.stdout and all(m in table.stdout for m in MEMBERS)
    as_json = json.loads(
        (await asyncio.to_thread(run_cli, "analytics", "reviewers", "--json")).stdout
    )
    assert {r["model"] for r in as_json["reviewers"]} == set(MEMBERS)
    as_csv = (await asyncio.to_thread(run_cli, "analytics", "costs", "--csv")).stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert {"model", "role", "calls", "cost"} <= set(rows[0]) and len(rows) >= len(MEMBERS) * 2
    assert (await asyncio.to_thread(run_cli, "analytics", "agreement")).returncode == 0
    bad = await asyncio.to_thread(run_cli, "analytics", "models", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr

    # Runs settled before analytics existed: their figures are missing until a rebuild.
    runtime_engine = create_engine(cli_env)
    try:
        async with runtime_engine.begin() as connection:
            await connection.execute(delete(RUN_FIGURES))
    finally:
        await runtime_engine.dispose()
    empty = json.loads((await asyncio.to_thread(run_cli, "analytics", "models", "--json")).stdout)
    assert empty["runs"] == 0
    rebuilt = await asyncio.to_thread(run_cli, "analytics", "rebuild", "--missing")
    assert rebuilt.returncode == 0 and "figures written for 2 run(s)" in rebuilt.stdout
    again = json.loads((await asyncio.to_thread(run_cli, "analytics", "models", "--json")).stdout)
    assert again["runs"] == 2
