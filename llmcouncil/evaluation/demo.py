"""Demo mode: the simulated upstream given the dataset's answer key, so its verdicts mean
something. Every model is right half the time (seeded per model and question) and the judges
read answers against the reference; a report made this way is marked simulated."""

from __future__ import annotations

from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.sim.skills import KeyedQuestion, SkillConfig


def demo_skills(items: list[EvalItem]) -> SkillConfig:
    return SkillConfig(
        questions=[
            KeyedQuestion(question=item.question, answer=item.reference, category=item.category)
            for item in items
            if item.reference
        ]
    )
