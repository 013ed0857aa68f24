"""The chairman's call has one deadline: a hung chairman hands over to its fallback, then to the
degraded result, instead of holding the council for its first-token timeouts and retries.

Deadlines are test-sized (a few seconds); the tests assert what was sent and what the user
sees, never how long it took. Where a call must answer inside a limit, the limit is far above
the simulated latency (20 ms), so a busy machine cannot push it past.
"""

from __future__ import annotations

from typing import Any

from resilience_support import MISTRAL, Launch, ask, final, inject, of, quick_resilience
from support import CHAIRMAN, new_conversation

from llmcouncil.config import Settings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.resilience.policy import CallDeadline, PolicyBook
from llmcouncil.resilience.settings import (
    PresetResilienceSettings,
    ResilienceSettings,
    RetrySettings,
    StageDeadlineSettings,
)
from llmcouncil.sim import FaultSpec, SimServer

HUNG = FaultSpec(hang=True, prompt_kind="chairman")


def chairman_deadline(
    total: float, *, first_token: float = 0.3, share: float = 0.5, **sections: Any
) -> ResilienceSettings:
    return ResilienceSettings.model_validate(
        {
            **quick_resilience(**sections).model_dump(),
            "chairman": {"total": total, "first_token": first_token, "primary_share": share},
        }
    )


def chairman_calls(sim: SimServer, model: str) -> int:
    return sum(1 for r in sim.requests if r.model == model and r.prompt_kind == "chairman")


async def test_a_hung_chairman_hands_over_to_its_fallback_within_the_deadline(
    launch: Launch, sim: SimServer
) -> None:
    # One attempt each: the chairman is cut by the stage's first-token limit (1 s) well inside
    # its share (2 s), and its fallback has that same second for a first token 20 ms away.
    policy = chairman_deadline(4.0, first_token=1.0, retry=RetrySettings(attempts=1))
    _, client = await launch(policy, preset={"chairman_fallbacks": [MISTRAL]})
    inject(sim, {CHAIRMAN: [HUNG]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    result = final(events)
    assert result["degraded"] is False and result["answered_by"] == MISTRAL
    # The chairman was cut by the first-token limit of the stage, not the model's 240 s one.
    assert CHAIRMAN in result["fallback_reason"] and "timeout" in result["fallback_reason"]
    assert "no first token within" in result["fallback_reason"]
    assert chairman_calls(sim, CHAIRMAN) >= 1 and chairman_calls(sim, MISTRAL) == 1
    assert of(events, "model_fallback", CHAIRMAN)[0]["fallback"] == MISTRAL


async def test_when_every_chairman_hangs_the_deadline_ends_the_call_and_the_run_degrades(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(chairman_deadline(1.0), preset={"chairman_fallbacks": [MISTRAL]})
    inject(sim, {CHAIRMAN: [HUNG], MISTRAL: [HUNG]})
    cid = await new_conversation(client)
    events = await ask(client, cid)
    result = final(events)
    assert result["degraded"] is True
    assert "no token within 1 s (the call's deadline)" in result["degraded_reason"]
    error = next(e for e in events if e["type"] == "stage3_complete")["errors"][0]
    assert error["model"] == CHAIRMAN and error["kind"] == "timeout"
    assert CHAIRMAN in error["message"] and MISTRAL in error["message"]
    # Both candidates were tried: the chairman's share left its fallback time to be asked.
    assert chairman_calls(sim, CHAIRMAN) >= 1 and chairman_calls(sim, MISTRAL) >= 1
    assert of(events, "complete")  # the council ends, with the top-ranked answer offered


async def test_a_chairman_without_fallbacks_gets_the_whole_deadline(
    launch: Launch, sim: SimServer
) -> None:
    _, client = await launch(chairman_deadline(0.8, first_token=5.0))
    inject(sim, {CHAIRMAN: [HUNG]})
    cid = await new_conversation(client)
    result = final(await ask(client, cid))
    assert result["degraded"] is True
    # The stage's first-token limit (5 s) is longer than the deadline: the deadline cut it.
    assert "no token within 0.8 s (the call's deadline)" in result["degraded_reason"]


def test_a_preset_replaces_the_chairman_deadline_and_can_turn_it_off() -> None:
    settings = Settings.model_validate(
        {
            "presets": {
                "default": PresetSettings(),
                "quick": PresetSettings(
                    resilience=PresetResilienceSettings(
                        chairman=StageDeadlineSettings(total=20, first_token=5, primary_share=0.6)
                    )
                ),
                "patient": PresetSettings(
                    resilience=PresetResilienceSettings(
                        chairman=StageDeadlineSettings(enabled=False)
                    )
                ),
            }
        }
    )
    policies = PolicyBook(settings)
    assert policies.chairman_deadline("default") == CallDeadline(180, 60, 0.5)
    assert policies.chairman_deadline("quick") == CallDeadline(20, 5, 0.6)
    assert policies.chairman_deadline("patient") is None
