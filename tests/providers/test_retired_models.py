"""A configured id the upstream retired: the run starts at its fallback and says why; the
``council config check`` command names it with the closest current ids."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from support import CHAIRMAN, MEMBERS, new_conversation, stream_events

from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimServer

RETIRED = "anthropic/claude-3-opus"  # listed by the simulator with a past expiration date
FALLBACK = "anthropic/claude-opus-4.6"


async def run_council(
    make_settings: Any, start_server: Any, sim: SimServer, *, catalogue: bool
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    preset = PresetSettings(
        members=[RETIRED, *MEMBERS[:2]], chairman=CHAIRMAN, fallbacks={RETIRED: [FALLBACK]}
    )
    settings = make_settings(presets={"default": preset}, catalogue={"enabled": catalogue})
    live = await start_server(settings)
    if catalogue:  # the background refresh may not have finished yet: fetch once, now
        await live.runtime.registry.refresh_catalogue(settings.model_refs())
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        cid = await new_conversation(client)
        events = await stream_events(
            client, f"/api/conversations/{cid}/message/stream", json_body={"content": "Hi?"}
        )
    stage1 = next(e for e in events if e["type"] == "stage1_complete")["data"]
    return events, next(a for a in stage1 if a["model"] == RETIRED)


async def test_a_retired_member_is_answered_by_its_fallback_without_a_request(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    events, answer = await run_council(make_settings, start_server, sim, catalogue=True)

    assert answer["answered_by"] == FALLBACK
    assert answer["fallback_from"] == RETIRED
    assert "model_retired" in answer["fallback_reason"]
    assert "expired on" in answer["fallback_reason"]
    fallback = next(e for e in events if e["type"] == "model_fallback")
    assert fallback["model"] == RETIRED and fallback["fallback"] == FALLBACK
    assert "expired on" in fallback["reason"]
    called = {r.model for r in sim.requests}
    assert RETIRED not in called and FALLBACK in called


async def test_without_the_catalogue_the_retired_id_is_tried_and_refused_first(
    make_settings: Any, start_server: Any, sim: SimServer
) -> None:
    _, answer = await run_council(make_settings, start_server, sim, catalogue=False)

    assert answer["answered_by"] == FALLBACK
    assert "retired on" in answer["fallback_reason"]  # the simulator's 404
    assert RETIRED in {r.model for r in sim.requests}


def council(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "OPENROUTER_"))}
    env["COUNCIL_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'cli.db'}"
    return subprocess.run(
        [sys.executable, "-m", "llmcouncil", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )


def test_config_check_reports_a_retired_id_with_the_closest_current_ids(tmp_path: Path) -> None:
    (tmp_path / "council.toml").write_text(
        "[presets.default]\n"
        f'members = ["openai/gpt-5.4", "{RETIRED}", "x-ai/grok-4.20"]\n'
        'chairman = "google/gemini-3.1-pro-preview"\n'
    )

    result = council("config", "check", cwd=tmp_path)

    assert result.returncode == 2, result.stdout
    assert f"model {RETIRED} expired on" in result.stderr
    assert "closest current ids: anthropic/" in result.stderr
    assert "gpt-5.4" not in result.stderr and "Traceback" not in result.stderr


def test_config_check_finds_the_default_council_current(tmp_path: Path) -> None:
    result = council("config", "check", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
