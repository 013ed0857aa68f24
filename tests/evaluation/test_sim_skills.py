"""The simulator's scripted skill (sim/skills.py): what a member, a reviewer, the chairman and a
judge reply to a keyed question."""

from __future__ import annotations

from llmcouncil.evaluation.dataset import EvalItem
from llmcouncil.evaluation.judging import judge_prompt
from llmcouncil.sim.skills import (
    JudgeLeaning,
    KeyedQuestion,
    ModelSkill,
    SkillConfig,
    holds,
    with_skill,
    wrong_value,
)

QUESTION = "What is 12 times 12?"
SKILLS = SkillConfig(
    questions=[KeyedQuestion(question=QUESTION, answer="144", category="maths")],
    models={"right": ModelSkill(accuracy={"maths": 1.0}), "wrong": ModelSkill(accuracy={"*": 0.0})},
    judges={"lazy": JudgeLeaning(first_position=True), "long": JudgeLeaning(long_answers=True)},
)


def reply(model: str, kind: str, prompt: str) -> str:
    return with_skill(
        SKILLS, model=model, kind=kind, prompt=prompt, json_mode=False, written="plain"
    )


def test_values_are_found_as_whole_numbers() -> None:
    assert holds("The answer is 144.", "144")
    assert not holds("The answer is 1440.", "144") and not holds("It is 14.4", "144")
    assert wrong_value("144") == "151" and not holds(wrong_value("Paris"), "Paris")


def test_members_answer_by_their_skill_and_unknown_prompts_fall_through() -> None:
    assert reply("right", "answer", QUESTION) == "The answer is 144."
    assert reply("wrong", "answer", QUESTION) == "The answer is 151."
    assert reply("right", "answer", "Something else entirely?") == "plain"
    assert (
        with_skill(
            None, model="right", kind="answer", prompt=QUESTION, json_mode=False, written="x"
        )
        == "x"
    )


def test_reviewers_rank_the_right_value_first_and_the_chairman_keeps_it() -> None:
    prompt = (
        f"Question: {QUESTION}\n"
        '<response label="Response A" nonce="n">\nThe answer is 151.\n</response nonce="n">\n'
        '<response label="Response B" nonce="n">\nThe answer is 144.\n</response nonce="n">\n'
        "FINAL RANKING:"
    )
    assert reply("x", "ranking", prompt).endswith("FINAL RANKING:\n1. Response B\n2. Response A")
    assert reply("x", "chairman", prompt) == "The answer is 144."
    assert reply("x", "chairman", f"Question: {QUESTION}\nnothing right") == "The answer is 151."


def test_judges_read_the_reference_and_leanings_show_when_answers_are_equal() -> None:
    item = EvalItem(QUESTION, "144")
    right_first = judge_prompt(item=item, first="The answer is 144.", second="It is 151.", seed=1)
    assert reply("fair", "answer", right_first).endswith("VERDICT: 1")
    right_second = judge_prompt(item=item, first="It is 151.", second="The answer is 144.", seed=1)
    assert reply("fair", "answer", right_second).endswith("VERDICT: 2")
    equal = judge_prompt(item=item, first="144 it is.", second="144, at length, it is.", seed=1)
    assert reply("fair", "answer", equal).endswith("VERDICT: TIE")
    assert reply("lazy", "answer", equal).endswith("VERDICT: 1")
    assert reply("long", "answer", equal).endswith("VERDICT: 2")
