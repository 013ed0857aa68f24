"""The worst-case council duration in docs/OPERATIONS.md is the one the default settings give."""

from __future__ import annotations

from pathlib import Path

from llmcouncil.config import Settings
from llmcouncil.council.pipeline import TITLE_GRACE_SECONDS
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.resilience.settings import ResilienceSettings, StageDeadlineSettings
from llmcouncil.resilience.worst_case import mode_table, worst_case_council

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


def test_the_documented_worst_case_of_each_mode_is_the_one_the_defaults_give() -> None:
    table = mode_table(defaults(), title_grace=TITLE_GRACE_SECONDS)
    assert table in OPERATIONS.read_text(encoding="utf-8")


def test_each_revision_round_adds_the_members_bound_and_select_and_answers_drop_stages() -> None:
    member = PresetSettings().members[0]
    preset = PresetSettings(mode="revise", revision_rounds=2, fallbacks={member: ["a/one"]})
    settings = defaults(presets={"default": preset})
    total = settings.timeouts.total

    def parts(mode: str | None = None) -> dict[str, float]:
        bound = worst_case_council(settings, mode=mode, title_grace=1)
        return {s.stage: s.seconds for s in bound.stages}

    revise = parts()  # the preset's mode and rounds
    assert [s for s in revise if s.startswith("revision")] == [
        "revision round 1",
        "revision round 2",
    ]
    # A member with one fallback: each round, like stages 1 and 2, may run two candidates out.
    assert revise["revision round 1"] == revise["revision round 2"] == 2 * total
    three = worst_case_council(settings, title_grace=1, rounds=3)
    assert three.seconds - worst_case_council(settings, title_grace=1).seconds == 2 * total
    classic = worst_case_council(settings, mode="classic", title_grace=1)
    assert three.seconds - classic.seconds == 3 * 2 * total
    assert "stage 3, chairman" not in parts(mode="select")
    assert set(parts(mode="answers")) == {"waiting for a run slot", "stage 1, answers", "title"}


def test_self_moa_reviewed_by_its_own_model_is_bounded_by_that_model() -> None:
    sampled = "a/sampled"
    preset = PresetSettings(
        mode="self-moa",
        sample_model=sampled,
        sample_reviewers="same",
        fallbacks={PresetSettings().members[0]: ["a/one", "a/two"]},  # not the sampled model's
    )
    settings = defaults(presets={"default": preset})
    bound = {s.stage: s.seconds for s in worst_case_council(settings, title_grace=1).stages}
    assert bound["stage 1, 4 samples"] == bound["stage 2, reviews"] == settings.timeouts.total
    members = worst_case_council(
        defaults(presets={"default": preset.model_copy(update={"sample_reviewers": "members"})}),
        title_grace=1,
    )
    assert {s.stage: s.seconds for s in members.stages}["stage 2, reviews"] == (
        3 * settings.timeouts.total
    )
