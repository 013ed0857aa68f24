"""``council batch FILE``: every question answered, as JSON Lines and a CSV file; a bad file or
flag refused with exit code 2 and nothing asked; ``council worker`` without Redis refused."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from gov_support import run_cli
from support import CHAIRMAN, MEMBERS, TEST_KEY_ENV

from llmcouncil.sim import SimServer

QUESTIONS = ["Why is the sky blue?", "Why is the sea salty?"]


@pytest.fixture
def workspace(sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test-not-a-real-key")
    monkeypatch.setenv("COLUMNS", "200")
    for name in (
        "COUNCIL_CONFIG",
        "COUNCIL_DATABASE_URL",
        "COUNCIL_AUTH__MODE",
        "COUNCIL_REDIS_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "council.toml").write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "council.db"}"\n'
        'default_provider = "sim"\n'
        "[providers.sim]\n"
        f'base_url = "{sim.base_url}"\n'
        f'api_key_env = "{TEST_KEY_ENV}"\n'
        "[presets.default]\n"
        f"members = {json.dumps(MEMBERS)}\n"
        f'chairman = "{CHAIRMAN}"\n'
    )
    (tmp_path / "questions.jsonl").write_text(
        "\n".join(json.dumps({"question": q}) for q in QUESTIONS)
    )
    return tmp_path


async def test_batch_answers_every_question(workspace: Path, sim: SimServer) -> None:
    result = await asyncio.to_thread(
        run_cli, "batch", "questions.jsonl", "--json", "--out", "answers.csv"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == QUESTIONS
    assert all(r["status"] == "done" and r["answer"] for r in rows)
    assert "2 questions, run by this process" in result.stderr
    with (workspace / "answers.csv").open(encoding="utf-8") as exported:
        assert [r["answer"] for r in csv.DictReader(exported)] == [r["answer"] for r in rows]
    for question in QUESTIONS:
        asked = [r for r in sim.requests if r.prompt_kind == "chairman" and _asks(r, question)]
        assert len(asked) == 1
    # A finished batch resumed asks nothing again.
    sim.clear_requests()
    batch_id = result.stderr.split("batch ", 1)[1].split(":", 1)[0]
    again = await asyncio.to_thread(run_cli, "batch", "--resume", batch_id, "--json")
    assert again.returncode == 0, again.stderr
    assert [json.loads(line)["answer"] for line in again.stdout.splitlines()] == [
        r["answer"] for r in rows
    ]
    assert sim.requests == []


def _asks(request: object, question: str) -> bool:
    return any(question in str(m.get("content")) for m in getattr(request, "messages", []))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("batch", "missing.jsonl"), "no such file"),
        (("batch",), "give a FILE of questions, or --resume ID"),
        (("batch", "questions.jsonl", "--out", "answers.txt"), "give a .csv or .jsonl file"),
        (("batch", "questions.jsonl", "--preset", "nope"), "preset 'nope' does not exist"),
        (("worker",), "council worker takes its jobs from Redis"),
    ],
)
async def test_refusals_exit_2_and_ask_nothing(
    workspace: Path, sim: SimServer, args: tuple[str, ...], message: str
) -> None:
    result = await asyncio.to_thread(run_cli, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert sim.requests == []
