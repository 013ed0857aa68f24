"""``council ask --file`` and ``--conversation``, run as a real process against the simulated
upstream: what the models received, what was stored, and refusals that store nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from llmcouncil.sim import SimConfig, SimServer

BOOK = (
    "# The Harbour\n\nThe lighthouse keeper counts ships by lantern light every night.\n\n"
    "# The Orchard\n\nApple trees grow in crooked rows behind the old stone wall.\n"
)


def council(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COUNCIL_", "OPENROUTER_", "OPENAI_"))
    }
    env["COUNCIL_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'cli.db'}"
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "llmcouncil", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        env=env,
        timeout=300,  # a hang guard only
    )


def _config(tmp_path: Path, sim: SimServer) -> None:
    (tmp_path / "council.toml").write_text(
        f'default_provider = "sim"\n[providers.sim]\nbase_url = "{sim.base_url}"\n'
        '[presets.default]\nmembers = ["openai/gpt-5.1", "anthropic/claude-sonnet-4.5"]\n'
        'chairman = "openai/gpt-5.1"\ntitle_model = "openai/gpt-5.1"\n'
    )


def _sent(sim: SimServer, question: str) -> list[str]:
    """The first message of every request that asked ``question`` (the pinned documents)."""
    return [r.messages[0]["content"] for r in sim.requests if r.messages[-1]["content"] == question]


def test_files_are_attached_and_a_continued_conversation_still_carries_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "book.md").write_text(BOOK)

    async def run() -> None:
        async with SimServer(SimConfig.fast()) as sim:
            _config(tmp_path, sim)
            first = await asyncio.to_thread(
                council, "ask", "--json", "--file", "book.md", "Who counts ships?", cwd=tmp_path
            )
            assert first.returncode == 0, first.stderr
            assert "attached book.md (markdown, 2 sections)" in first.stderr
            cid = json.loads(first.stdout)["conversation_id"]
            pinned = _sent(sim, "Who counts ships?")
            assert len(pinned) == 2 and all("lighthouse keeper counts ships" in p for p in pinned)

            sim.clear_requests()
            follow = await asyncio.to_thread(
                council, "ask", "--json", "--conversation", cid[:8], "And the trees?", cwd=tmp_path
            )
            assert follow.returncode == 0, follow.stderr
            assert json.loads(follow.stdout)["conversation_id"] == cid
            asked = [r for r in sim.requests if r.messages[-1]["content"] == "And the trees?"]
            assert {r.model for r in asked} == {"openai/gpt-5.1", "anthropic/claude-sonnet-4.5"}
            for request in asked:
                texts = [m["content"] for m in request.messages]
                assert "Apple trees grow in crooked rows" in texts[0]  # the document, pinned
                assert "Who counts ships?" in texts  # and the earlier turn

    asyncio.run(run())
    listed = json.loads(council("conversations", "list", "--json", cwd=tmp_path).stdout)
    assert len(listed) == 1 and listed[0]["message_count"] == 4


def test_refused_files_and_options_store_nothing_and_say_why(tmp_path: Path) -> None:
    (tmp_path / "cut.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n")
    (tmp_path / "notes.md").write_text("# Notes\n\nA short note.\n")
    corrupt = council(
        "ask", "--demo", "--file", "notes.md", "--file", "cut.pdf", "Summarise", cwd=tmp_path
    )
    assert corrupt.returncode == 2, corrupt.stderr
    assert "error:" in corrupt.stderr and "cut.pdf:" in corrupt.stderr
    assert "Traceback" not in corrupt.stderr

    missing = council("ask", "--demo", "--file", "nowhere.pdf", "Summarise", cwd=tmp_path)
    assert missing.returncode == 3 and "nowhere.pdf: no such file" in missing.stderr

    mixed = council(
        "ask", "--demo", "--conversation", "abc", "--preset", "x", "Hello", cwd=tmp_path
    )
    assert mixed.returncode == 2 and "--conversation" in mixed.stderr

    unknown = council("ask", "--demo", "--conversation", "abc", "Hello", cwd=tmp_path)
    assert unknown.returncode == 3 and "conversation abc does not exist" in unknown.stderr

    listed = council("conversations", "list", "--json", cwd=tmp_path)
    assert json.loads(listed.stdout) == []  # the refused file's conversation was removed
