"""The deliberation modes: each a short sequence of the shared steps (``council/steps.py``).

=============  ==============================================================================
``classic``    answers → peer review → the chairman's synthesis
``select``     answers → peer review → the top-ranked answer verbatim, no chairman
``answers``    answers side by side; no review, no chairman
``revise``     answers → 1–3 revision rounds → peer review → synthesis
``self-moa``   one model answers k times → review (the members, or that model) → synthesis
=============  ==============================================================================

A mode returns True when its last write also completed the run (``StageSteps.finish``). With
``early_stop`` (a preset's choice) identical short answers skip the review, and revising stops
at a round that changed nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from llmcouncil.council.steps import StageSteps

Mode = Callable[[StageSteps], Awaitable[bool]]


async def classic(steps: StageSteps) -> bool:
    ok = await steps.answers()
    if steps.unanimous(ok):
        return await steps.unanimous_answer(ok)
    review = await steps.review(ok)
    return await steps.synthesis(ok, review)


async def select(steps: StageSteps) -> bool:
    ok = await steps.answers()
    if steps.unanimous(ok):
        return await steps.unanimous_answer(ok)
    review = await steps.review(ok)
    return await steps.select(ok, review)


async def answers(steps: StageSteps) -> bool:
    ok = await steps.answers()
    return await steps.side_by_side(ok)


async def revise(steps: StageSteps) -> bool:
    ok = await steps.answers()
    if steps.unanimous(ok):
        return await steps.unanimous_answer(ok)
    if len(ok) > 1:  # a lone answer has no one to learn from
        for round_number in range(1, steps.spec.revision_rounds + 1):
            ok = await steps.revise(ok, round_number=round_number)
            if steps.early_stop is not None:
                break
    review = await steps.review(ok)
    return await steps.synthesis(ok, review)


async def self_moa(steps: StageSteps) -> bool:
    steps.without_self_votes()
    ok = await steps.answers(samples=True)
    if steps.unanimous(ok):
        return await steps.unanimous_answer(ok)
    spec = steps.spec
    sampled = spec.sample_model or spec.members[0]
    reviewers = [sampled] if spec.sample_reviewers == "same" else spec.members
    review = await steps.review(ok, reviewers=reviewers)
    return await steps.synthesis(ok, review)


MODE_STEPS: dict[str, Mode] = {
    "classic": classic,
    "select": select,
    "answers": answers,
    "revise": revise,
    "self-moa": self_moa,
}


def mode_steps(name: str) -> Mode:
    """The steps of mode ``name``; a run stored before modes existed ran ``classic``."""
    return MODE_STEPS.get(name, classic)
