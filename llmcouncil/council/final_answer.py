"""The stage-3 answer, typed: what every mode ends with, built here and nowhere else.

``FinalAnswer`` is a chairman's synthesis (with the structured part read from its reply), the
degraded answer when every chairman failed, the top-ranked answer verbatim (``select``), the
members' answers side by side (``answers``), the one answer every member gave (early stop), or
a turn an API client supplied. ``as_dict`` is the stored and streamed JSON, which the API's
``Stage3Final`` validates at the edge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from llmcouncil.records import CallRecord, Stage, call_fields

ConfidenceLevel = Literal["high", "medium", "low"]
FinalKind = Literal["synthesis", "degraded", "selected", "answers", "unanimous"]


@dataclass(frozen=True, slots=True)
class Position:
    """One side of a contradiction: the responses (by label) that say it, and their models."""

    responses: tuple[str, ...]
    says: str
    models: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Contradiction:
    point: str
    positions: tuple[Position, ...] = ()


@dataclass(frozen=True, slots=True)
class Confidence:
    level: ConfidenceLevel | None = None
    justification: str = ""


@dataclass(frozen=True, slots=True)
class SynthesisStructure:
    """Where the answers agree and contradict each other, what none covered, how sure the
    chairman is: read from its reply by ``synthesis.read_structure``."""

    consensus: tuple[str, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    gaps: tuple[str, ...] = ()
    confidence: Confidence = Confidence()

    def with_models(self, label_to_model: Mapping[str, str]) -> SynthesisStructure:
        """Each position also names the models behind its labels."""
        return dataclasses.replace(
            self,
            contradictions=tuple(
                dataclasses.replace(
                    item,
                    positions=tuple(
                        dataclasses.replace(
                            p,
                            models=tuple(
                                label_to_model[r] for r in p.responses if r in label_to_model
                            ),
                        )
                        for p in item.positions
                    ),
                )
                for item in self.contradictions
            ),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "consensus": list(self.consensus),
            "contradictions": [
                {
                    "point": c.point,
                    "positions": [
                        {"responses": list(p.responses), "says": p.says, "models": list(p.models)}
                        for p in c.positions
                    ],
                }
                for c in self.contradictions
            ],
            "gaps": list(self.gaps),
            "confidence": {
                "level": self.confidence.level,
                "justification": self.confidence.justification,
            },
        }


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    """The stage-3 answer, as the API's ``Stage3Final`` describes it."""

    response: str
    kind: FinalKind | None = None  # None only for a client-supplied (seeded) turn
    model: str | None = None
    reasoning: str | None = None
    call: CallRecord | None = None
    simulated: bool = False
    degraded_reason: str | None = None  # set: every chairman failed
    top_ranked_model: str | None = None
    seeded: bool = False
    # A synthesis that was asked for its structured part: the part, or why there is none.
    structured: SynthesisStructure | None = None
    structured_note: str | None = None
    # ``select``: which answer was taken, and what the review said of it.
    selected_model: str | None = None
    selected_label: str | None = None
    review_summary: str | None = None
    finish_reason: str | None = None  # of the answer taken, when there is no call of its own
    unanimous_members: int | None = None

    @classmethod
    def synthesis(
        cls,
        record: CallRecord,
        *,
        structured: SynthesisStructure | None = None,
        structured_note: str | None = None,
        response: str | None = None,
    ) -> FinalAnswer:
        return cls(
            response=record.text if response is None else response,
            kind="synthesis",
            model=record.model,
            reasoning=record.details.get("reasoning"),
            call=record,
            simulated=record.simulated,
            structured=structured,
            structured_note=structured_note,
        )

    @classmethod
    def degraded_to(cls, best: CallRecord | None, *, reason: str) -> FinalAnswer:
        """Every chairman failed: say so, and offer the top-ranked answer as what it is."""
        if best is None:
            text = f"No final answer: {reason}"
        else:
            text = (
                f"**No synthesis was produced** — {reason}\n\n"
                f"The council's top-ranked answer, from {best.model}, follows unchanged:\n\n"
                f"{best.text}"
            )
        return cls(
            response=text,
            kind="degraded",
            degraded_reason=reason,
            top_ranked_model=best.model if best else None,
            simulated=bool(best and best.simulated),
        )

    @classmethod
    def selected(cls, best: CallRecord, *, label: str | None, summary: str) -> FinalAnswer:
        """``select``: the top-ranked answer verbatim, with what the review said of it."""
        return cls(
            response=best.text,
            kind="selected",
            simulated=best.simulated,
            selected_model=best.model,
            selected_label=label,
            review_summary=summary,
            finish_reason=best.finish_reason,
        )

    @classmethod
    def side_by_side(cls, answers: Sequence[CallRecord]) -> FinalAnswer:
        """``answers``: no review and no chairman; the answers are the result."""
        text = "\n\n".join(f"### {a.model}\n\n{a.text}" for a in answers)
        return cls(response=text, kind="answers", simulated=any(a.simulated for a in answers))

    @classmethod
    def unanimous(cls, answer: CallRecord, *, members: int) -> FinalAnswer:
        """Early stop: every member gave this same short answer, so nothing was reviewed."""
        return cls(
            response=answer.text,
            kind="unanimous",
            simulated=answer.simulated,
            unanimous_members=members,
        )

    @classmethod
    def seeded_from(cls, answer: str) -> FinalAnswer:
        """A client-supplied answer, marked so no one takes it for a synthesis."""
        return cls(response=answer, seeded=True)

    @property
    def degraded(self) -> bool:
        return self.kind == "degraded"

    def as_dict(self) -> dict[str, Any]:
        if self.call is not None:
            calls = call_fields(self.call)
        else:
            calls = {
                **call_fields(CallRecord(stage=Stage.FINAL, model="", ok=False)),
                "simulated": self.simulated,
                "finish_reason": self.finish_reason,
            }
        item: dict[str, Any] = {
            "model": self.model,
            "response": self.response,
            "reasoning": self.reasoning,
            "degraded": self.degraded,
            "degraded_reason": self.degraded_reason,
        }
        if self.kind is not None:
            item["kind"] = self.kind
        if self.degraded:
            item["top_ranked_model"] = self.top_ranked_model
        if self.seeded:
            item["seeded"] = True
            del item["reasoning"]
        if self.structured is not None or self.structured_note is not None:
            item["structured"] = self.structured.as_json() if self.structured else None
            item["structured_note"] = self.structured_note
        if self.kind == "selected":
            item.update(
                selected_model=self.selected_model,
                selected_label=self.selected_label,
                review_summary=self.review_summary,
            )
        if self.unanimous_members is not None:
            item["unanimous_members"] = self.unanimous_members
        return {**item, **calls}
