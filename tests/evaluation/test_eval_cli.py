"""``council eval``: a report as JSON, a table and an HTML file; refusals as exit code 2; a
finished evaluation resumed makes no call."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from eval_support import CHAIR, JUDGE_A, KEY_ENV, RIGHT, VERBOSE, WRONG, maths_items, skills_for
from gov_support import run_cli

from llmcouncil.sim import SimConfig, SimServer


@pytest.fixture
def workspace(skilled_sim: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    items = maths_items(3)
    skilled_sim.configure(
        SimConfig.fast(base_ms=0).model_copy(update={"skills": skills_for(items)})
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, "sk-test-not-a-real-key")
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("COUNCIL_CONFIG", "COUNCIL_DATABASE_URL", "COUNCIL_AUTH__MODE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "council.toml").write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "council.db"}"\n'
        'default_provider = "sim"\n'
        "[providers.sim]\n"
        f'base_url = "{skilled_sim.base_url}"\n'
        f'api_key_env = "{KEY_ENV}"\n'
        "[presets.default]\n"
        f'members = ["{RIGHT}", "{WRONG}", "{VERBOSE}"]\n'
        f'chairman = "{CHAIR}"\n'
    )
    rows = [{"question": i.question, "reference": i.reference} for i in items]
    (tmp_path / "maths.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return tmp_path


async def test_eval_prints_a_report_and_writes_html(
    workspace: Path, skilled_sim: SimServer
) -> None:
    result = await asyncio.to_thread(
        run_cli,
        "eval",
        "maths.jsonl",
        "--strategies",
        f"member:{WRONG}",
        "--judges",
        JUDGE_A,
        "--json",
        "--html",
        "report.html",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["simulated"] is False
    [row] = report["comparisons"]
    assert row["strategy"] == f"member:{WRONG}" and row["overall"]["wins"] == 3
    page = (workspace / "report.html").read_text()
    assert "<svg" in page and "Simulated." not in page

    calls = len(skilled_sim.requests)
    again = await asyncio.to_thread(run_cli, "eval", "--resume", report["evaluation"]["id"])
    assert again.returncode == 0, again.stderr
    assert len(skilled_sim.requests) == calls  # finished: nothing asked again
    assert "member:bolt/wrong" in again.stdout and "+1.00" in again.stdout


async def test_a_bad_dataset_is_exit_code_2_with_its_line(workspace: Path) -> None:
    (workspace / "bad.jsonl").write_text('{"question": "fine"}\n{"question": 3, "match": "x"}\n')
    result = await asyncio.to_thread(run_cli, "eval", "bad.jsonl")
    assert result.returncode == 2
    assert "line 2: match 'x' is not one of judge, exact, numeric" in result.stderr
    unknown = await asyncio.to_thread(run_cli, "eval", "maths.jsonl", "--strategies", "vibes")
    assert unknown.returncode == 2 and "vibes" in unknown.stderr
    nothing = await asyncio.to_thread(run_cli, "eval")
    assert nothing.returncode == 2 and "--resume" in nothing.stderr


async def test_demo_mode_evaluates_and_says_the_report_is_simulated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COUNCIL_CONFIG", "COUNCIL_DATABASE_URL", "COUNCIL_AUTH__MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COUNCIL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "one.jsonl").write_text('{"question": "What is 6 times 7?", "reference": "42"}\n')
    result = await asyncio.to_thread(
        run_cli, "eval", "one.jsonl", "--demo", "--strategies", "chairman", "--concurrency", "8"
    )
    assert result.returncode == 0, result.stderr
    assert "demo mode" in result.stderr
    assert "SIMULATED" in result.stdout and "This report is simulated" in result.stdout
