"""Scripted skill: members whose answers are right or wrong by design, and scripted judges.

For testing an evaluation harness against a known truth. ``SkillConfig`` (``SimConfig.skills``)
holds an answer key (question → its answer and category) and, per model, the chance of being
right in each category (1.0: always right, 0.0: always wrong), and whether it writes at length.
With skills on:

- an answer prompt that holds a keyed question is answered "The answer is X." (right) or with a
  wrong value, seeded by model and question; a verbose model adds paragraphs;
- a ranking prompt ranks the answers holding the right value first;
- a chairman prompt answers right ("The answer is X." alone) when any answer it was shown
  is right;
- a judge prompt (it holds ``JUDGE_MARKER``) gets ``VERDICT: 1``, ``2`` or ``TIE``: the answer
  holding the reference wins; a judge's ``first_position`` leaning picks answer 1 whenever the
  two are equally right (so its verdicts flip with the order), ``long_answers`` the longer one.

Everything else falls through to the plain simulator.
"""

from __future__ import annotations

import json
import random
import re
import zlib

from pydantic import BaseModel, ConfigDict, Field

JUDGE_MARKER = "you are an impartial judge"
_ANSWER_TAG = re.compile(
    r"<response label=\"(Answer [12]|Response [A-Z])\"[^>]*>\n?(.*?)</response", re.DOTALL
)
_REFERENCE = re.compile(r"<reference[^>]*>\n?(.*?)</reference", re.DOTALL)
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_PADDING = (
    "To see why, it helps to restate the question in plain terms and check each step.",
    "A second way to arrive at the same place is to work backwards from the result.",
    "It is worth noting the common mistakes people make here, and why they mislead.",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyedQuestion(_Strict):
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    category: str = ""


class ModelSkill(_Strict):
    accuracy: dict[str, float] = Field(
        default_factory=lambda: {"*": 0.5}, description="Category (or '*') → chance of being right"
    )
    verbose: bool = False

    def chance(self, category: str) -> float:
        return self.accuracy.get(category, self.accuracy.get("*", 0.5))


class JudgeLeaning(_Strict):
    first_position: bool = False
    long_answers: bool = False


class SkillConfig(_Strict):
    questions: list[KeyedQuestion] = Field(default_factory=list)
    models: dict[str, ModelSkill] = Field(default_factory=dict)
    judges: dict[str, JudgeLeaning] = Field(default_factory=dict)

    def keyed(self, prompt: str) -> KeyedQuestion | None:
        # The longest question first: "What is 2 + 2?" must not match inside "What is 2 + 22?".
        for item in sorted(self.questions, key=lambda q: -len(q.question)):
            if item.question in prompt:
                return item
        return None


def wrong_value(answer: str) -> str:
    """A value that is not ``answer`` and does not contain it."""
    if _NUMBER.match(answer.strip()):
        return str(float(answer) + 7).removesuffix(".0")
    return "something else entirely"


def holds(text: str, answer: str) -> bool:
    """Whether ``text`` gives ``answer`` (as a whole word or number)."""
    pattern = rf"(?<![\w.]){re.escape(answer.strip())}(?![\w]|\.\d)"
    return re.search(pattern, text, re.IGNORECASE) is not None


def with_skill(
    skills: SkillConfig | None,
    *,
    model: str,
    kind: str,
    prompt: str,
    json_mode: bool,
    written: str,
) -> str:
    """The scripted reply to ``prompt``, or ``written`` (the plain simulator's) when none."""
    if skills is None:
        return written
    item = skills.keyed(prompt)
    if item is None:
        return written
    if kind == "answer" and JUDGE_MARKER in prompt.lower():
        return _verdict(skills.judges.get(model, JudgeLeaning()), prompt=prompt)
    if kind == "answer":
        return _answer(skills.models.get(model, ModelSkill()), model=model, item=item)
    if kind == "ranking":
        return _ranking(prompt, item=item, json_mode=json_mode)
    if kind == "chairman":
        rest = prompt.replace(item.question, "")
        value = item.answer if holds(rest, item.answer) else wrong_value(item.answer)
        return f"The answer is {value}."
    return written


def _answer(skill: ModelSkill, *, model: str, item: KeyedQuestion) -> str:
    rng = random.Random(zlib.crc32(f"{model}\0{item.question}".encode()))
    right = rng.random() < skill.chance(item.category)
    value = item.answer if right else wrong_value(item.answer)
    text = f"The answer is {value}."
    if skill.verbose:
        text += "\n\n" + "\n\n".join(_PADDING)
    return text


def _ranking(prompt: str, *, item: KeyedQuestion, json_mode: bool) -> str:
    shown = _ANSWER_TAG.findall(prompt)
    ranking = [label for label, text in shown if holds(text, item.answer)]
    ranking += [label for label, _ in shown if label not in ranking]
    if json_mode:
        return json.dumps({"reasoning": "The right value first.", "ranking": ranking})
    lines = "\n".join(f"{place}. {label}" for place, label in enumerate(ranking, start=1))
    return f"The right value first.\n\nFINAL RANKING:\n{lines}"


def _verdict(leaning: JudgeLeaning, *, prompt: str) -> str:
    reference = _REFERENCE.search(prompt)
    texts = dict(_ANSWER_TAG.findall(prompt))
    first, second = texts.get("Answer 1", ""), texts.get("Answer 2", "")
    if reference is not None:
        value = reference.group(1).strip()
        score = (holds(first, value), holds(second, value))
    else:
        score = (False, False)
    if score[0] != score[1]:
        choice = "1" if score[0] else "2"
    elif leaning.first_position:
        choice = "1"
    elif leaning.long_answers and len(first) != len(second):
        choice = "1" if len(first) > len(second) else "2"
    else:
        choice = "TIE"
    return f"Both answers were read against the reference.\n\nVERDICT: {choice}"
