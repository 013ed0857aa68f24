"""A council on the simulated upstream whose members have scripted skill (sim/skills.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from migrated_databases import migrated_sqlite

from llmcouncil.api.runtime import Runtime
from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.evaluation import EvalItem, EvaluationHarness, EvaluationStore
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimConfig, SimServer
from llmcouncil.sim.skills import JudgeLeaning, KeyedQuestion, ModelSkill, SkillConfig

RIGHT, WRONG, VERBOSE, CHAIR = "acme/right", "bolt/wrong", "corp/verbose", "dyna/chair"
JUDGE_A, JUDGE_B, JUDGE_FIRST = "eval/judge-a", "fair/judge-b", "lazy/judge-first"
KEY_ENV = "COUNCIL_TEST_EVAL_KEY"


def maths_items(n: int, *, match: str = "judge", offset: int = 0) -> list[EvalItem]:
    items = []
    for i in range(offset, offset + n):
        a, b = 11 + i, 7 + 2 * i
        items.append(
            EvalItem(
                question=f"What is {a} times {b} (case {i})?",
                reference=str(a * b),
                category="maths" if i % 2 == 0 else "arithmetic",
                match=match,  # type: ignore[arg-type]
            )
        )
    return items


def skills_for(items: list[EvalItem], *, leaning_judge: bool = False) -> SkillConfig:
    judges = {JUDGE_FIRST: JudgeLeaning(first_position=True)} if leaning_judge else {}
    return SkillConfig(
        questions=[
            KeyedQuestion(question=i.question, answer=i.reference or "", category=i.category)
            for i in items
        ],
        models={
            RIGHT: ModelSkill(accuracy={"*": 1.0}),
            WRONG: ModelSkill(accuracy={"*": 0.0}),
            VERBOSE: ModelSkill(accuracy={"*": 0.5}, verbose=True),
            CHAIR: ModelSkill(accuracy={"*": 0.5}),
        },
        judges=judges,
    )


@pytest.fixture
async def skilled_sim() -> AsyncIterator[SimServer]:
    server = SimServer(SimConfig.fast(base_ms=0))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


def council_settings(sim: SimServer, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": migrated_sqlite(tmp_path / "council.db"),
        "default_provider": "sim",
        "providers": {"sim": ProviderSettings(base_url=sim.base_url, api_key_env=KEY_ENV)},
        "presets": {
            "default": PresetSettings(
                members=[RIGHT, WRONG, VERBOSE], chairman=CHAIR, title_model=CHAIR
            )
        },
    }
    values.update(overrides)
    return Settings.model_validate(values)


HarnessFactory = Callable[[Runtime], EvaluationHarness]


def harness_for(runtime: Runtime, *, simulated: bool = True) -> EvaluationHarness:
    return EvaluationHarness(
        runs=runtime.runs,
        store=runtime.store,
        evaluations=EvaluationStore(runtime.engine),
        settings=runtime.settings,
        actor=None,
        simulated=simulated,
    )


@pytest.fixture
def eval_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-not-a-real-key")
