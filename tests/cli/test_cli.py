"""The ``council`` command, run as a real process: messages, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmcouncil.cli.conversations import matching_ids
from llmcouncil.errors import NotFoundError, ValidationFailedError

# Each test starts the command as a process, some of them ten times over; on a busy machine a
# start can take tens of seconds. The suite's 120 s per test would then measure the machine,
# so these tests get a hang guard sized for it instead.
pytestmark = pytest.mark.timeout(900)


def council(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COUNCIL_", "OPENROUTER_", "OPENAI_"))
    }
    base["COUNCIL_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'cli.db'}"
    base["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "llmcouncil", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        env={**base, **(env or {})},
        input=input,
        # A guard against a hung command only: a busy machine may take a while to start one.
        timeout=300,
    )


@pytest.mark.parametrize("question", ["", "   "])
def test_a_refused_question_stores_no_conversation(tmp_path: Path, question: str) -> None:
    refused = council("ask", "--demo", question, cwd=tmp_path)
    assert refused.returncode == 2
    assert "content is empty" in refused.stderr and "Traceback" not in refused.stderr
    listed = council("conversations", "list", "--json", cwd=tmp_path)
    assert json.loads(listed.stdout) == []


def test_an_id_prefix_names_one_conversation_or_says_why_not() -> None:
    ids = ["3fa1c0de-0000", "3fb2aaaa-1111", "9c0ffee0-2222"]
    assert matching_ids("9c", ids) == "9c0ffee0-2222"
    assert matching_ids("3fa1c0de-0000", ids) == "3fa1c0de-0000"
    with pytest.raises(ValidationFailedError, match="3fa1c0de-0000, 3fb2aaaa-1111"):
        matching_ids("3f", ids)
    with pytest.raises(NotFoundError):
        matching_ids("77", ids)
    with pytest.raises(NotFoundError):
        matching_ids("", ids)


def test_ask_in_demo_mode_prints_a_marked_answer_and_stores_it(tmp_path: Path) -> None:
    result = council("ask", "--demo", "--json", "What is a monad?", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "complete" and payload["simulated"] is True
    assert len(payload["stage1"]) == 4 and payload["stage3"]["response"]
    listed = council("conversations", "list", "--json", cwd=tmp_path)
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [payload["conversation_id"]]
    assert rows[0]["source"] == "cli"
    cid = rows[0]["id"]
    narrow = council("conversations", "list", cwd=tmp_path, env={"COLUMNS": "80"})
    assert cid in narrow.stdout  # whole, even at 80 columns
    by_prefix = council("conversations", "export", cid[:8], "-f", "json", cwd=tmp_path)
    assert by_prefix.returncode == 0, by_prefix.stderr
    assert json.loads(by_prefix.stdout)["id"] == cid
    md = council("conversations", "export", cid, "--format", "md", cwd=tmp_path)
    assert md.returncode == 0 and "What is a monad?" in md.stdout and "Simulated" in md.stdout
    as_json = json.loads(council("conversations", "export", cid, "-f", "json", cwd=tmp_path).stdout)
    assert as_json["id"] == cid
    shown = council("conversations", "show", cid, cwd=tmp_path)
    assert shown.returncode == 0 and "Final answer" in shown.stdout
    deleted = council("conversations", "delete", cid, "--yes", cwd=tmp_path)
    assert deleted.returncode == 0
    missing = council("conversations", "show", cid, cwd=tmp_path)
    assert missing.returncode == 3
    assert missing.stderr.strip().startswith("error:") and "Traceback" not in missing.stderr


def test_ask_human_output_names_the_chairman_and_simulation(tmp_path: Path) -> None:
    """Two members with self-votes excluded: each reviewer's only pair holds its own answer, so
    no vote counts, and the output says so instead of showing an empty ranking."""
    result = council(
        "ask",
        "--demo",
        "--models",
        "openai/gpt-5.1,x-ai/grok-4",
        "--chairman",
        "x-ai/grok-4",
        "Tabs or spaces?",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "chairman x-ai/grok-4" in result.stdout and "SIMULATED" in result.stdout
    explained = next(line for line in result.stdout.splitlines() if "Peer ranking" in line)
    assert "no vote counted" in explained
    assert "its own answer left out there is nothing to compare" in explained
    assert "openai/gpt-5.1" in explained and "x-ai/grok-4" in explained
    assert "strength" not in result.stdout


def test_ask_human_output_shows_the_strengths_of_three_members(tmp_path: Path) -> None:
    members = ["openai/gpt-5.1", "x-ai/grok-4", "anthropic/claude-sonnet-4.5"]
    result = council(
        "ask", "--demo", "--models", ",".join(members), "Tabs or spaces?", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Peer ranking (Bradley–Terry strength" in result.stdout
    assert "95% interval" in result.stdout and "average rank" in result.stdout
    table = [line for line in result.stdout.splitlines() if any(m in line for m in members)]
    assert len(table) >= 3 and all(re.search(r"[+-]\d\.\d\d … [+-]\d\.\d\d", r) for r in table[:3])
    assert "no vote counted" not in result.stdout


def test_config_check_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "council.toml").write_text(
        '[providers.paid]\nbase_url = "https://paid.example/v1"\napi_key_env = "PAID_KEY"\n'
        '[presets.default]\nmembers = ["paid:a", "nowhere:b"]\nchairman = "paid:a"\n'
    )
    result = council("config", "check", cwd=tmp_path, env={"OPENROUTER_API_KEY": "sk-x"})
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr
    assert result.stderr.count("  - ") >= 3 and "$PAID_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    served = council("serve", "--port", "0", cwd=tmp_path, env={"OPENROUTER_API_KEY": "sk-x"})
    assert served.returncode == 2 and "$PAID_KEY" in served.stderr


def test_config_check_looks_models_up_when_the_provider_is_reachable(tmp_path: Path) -> None:
    from llmcouncil.sim import SimConfig, SimServer

    async def run() -> subprocess.CompletedProcess[str]:
        async with SimServer(SimConfig.fast()) as sim:
            (tmp_path / "council.toml").write_text(
                f'default_provider = "sim"\n[providers.sim]\nbase_url = "{sim.base_url}"\n'
                '[presets.default]\nmembers = ["openai/gpt-5.1", "openai/gpt-3-stale"]\n'
                'chairman = "openai/gpt-5.1"\ntitle_model = "openai/gpt-5.1"\n'
            )
            import asyncio

            return await asyncio.to_thread(council, "config", "check", cwd=tmp_path)

    import asyncio

    result = asyncio.run(run())
    assert result.returncode == 2
    assert "'gpt-3-stale'" in result.stderr or "openai/gpt-3-stale" in result.stderr
    assert "openai/gpt-5.1'" not in result.stderr


def test_config_check_valid(tmp_path: Path) -> None:
    result = council("config", "check", cwd=tmp_path)
    assert result.returncode == 0 and "valid" in result.stdout and "demo" in result.stdout


def test_db_upgrade_and_usage_errors(tmp_path: Path) -> None:
    upgraded = council("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0 and "revision" in upgraded.stdout
    bad_db = council("db", "upgrade", cwd=tmp_path, env={"COUNCIL_DATABASE_URL": "mysql://nope/x"})
    assert bad_db.returncode == 2 and "unsupported database" in bad_db.stderr
    assert council("conversations", "export", "x", "--format", "pdf", cwd=tmp_path).returncode == 2
    empty = council("ask", "--demo", "   ", cwd=tmp_path)
    assert empty.returncode == 2 and "content is empty" in empty.stderr


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["simulate", "--help"]])
def test_help(tmp_path: Path, args: list[str]) -> None:
    assert council(*args, cwd=tmp_path).returncode == 0


def test_serve_on_a_port_in_use_says_so_and_exits_3_before_starting(tmp_path: Path) -> None:
    """The port is bound before start-up (so the demo's simulated upstream, on an ephemeral
    port, can never be given it): one in use stops the command before anything starts."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = council("serve", "--demo", "--port", str(port), cwd=tmp_path)
    assert served.returncode == 3
    said = served.stdout + served.stderr
    assert "address already in use" in said.lower(), said
    assert "simulated upstream listening" not in said  # nothing was started
