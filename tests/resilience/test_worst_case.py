"""The worst-case council duration in docs/OPERATIONS.md is the one the default settings give."""

from __future__ import annotations

from pathlib import Path

from llmcouncil.config import PresetSettings, Settings
from llmcouncil.council.pipeline import TITLE_GRACE_SECONDS
from llmcouncil.resilience.settings import ResilienceSettings, StageDeadlineSettings
from llmcouncil.resilience.worst_case import worst_case_council

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"


def defaults(**values: object) -> Settings:
    """The documented defaults: nothing read from the environment or a council.toml."""
    return Settings.model_construct(**values)


def test_the_documented_worst_case_is_the_one_the_defaults_give() -> None:
    bound = worst_case_council(defaults(), title_grace=TITLE_GRACE_SECONDS)
    assert bound.table() in OPERATIONS.read_text(encoding="utf-8")
    # A hung chairman no longer holds a council for its 240 s first-token timeouts and retries.
    assert next(s for s in bound.stages if s.stage.startswith("stage 3")).seconds == 180


def test_fallbacks_add_a_total_timeout_each_but_the_chairman_keeps_its_deadline() -> None:
    member = PresetSettings().members[-1]  # one of the default council, whatever it is now
    preset = PresetSettings(fallbacks={member: ["a/one", "a/two"]}, chairman_fallbacks=["a/three"])
    settings = defaults(presets={"default": preset})
    bound = {s.stage: s.seconds for s in worst_case_council(settings, title_grace=1).stages}
    total = settings.timeouts.total
    assert bound["stage 1, answers"] == bound["stage 2, reviews"] == 3 * total
    assert bound["stage 3, chairman"] == settings.resilience.chairman.total


def test_without_the_chairman_deadline_each_candidate_runs_to_its_total() -> None:
    resilience = ResilienceSettings(chairman=StageDeadlineSettings(enabled=False))
    preset = PresetSettings(chairman_fallbacks=["a/three"])
    settings = defaults(resilience=resilience, presets={"default": preset})
    bound = {s.stage: s.seconds for s in worst_case_council(settings, title_grace=1).stages}
    assert bound["stage 3, chairman"] == 2 * settings.timeouts.total
