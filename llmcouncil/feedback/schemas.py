"""The vote's shapes at the edges (API and ``council vote --json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from llmcouncil.feedback.service import Ballot, VoteView

Label = str


class VoteCast(BaseModel):
    """A person's vote on a run. Give at least one of ``preferred_label``, ``ranking``,
    ``rating`` or ``council_wrong``. Casting again replaces the previous vote."""

    model_config = ConfigDict(extra="forbid")

    preferred_label: Label | None = Field(
        default=None, max_length=20, description="The answer you preferred, e.g. 'Response B'."
    )
    ranking: list[Label] | None = Field(
        default=None,
        max_length=26,
        description="Every answer's label once, best first (optional; its head is your pick).",
    )
    blind: bool = Field(
        default=True,
        description="True: you judged the answers by label only; false: you saw the models.",
    )
    rating: Literal["up", "down"] | None = Field(
        default=None, description="Your rating of the final (chairman's) answer."
    )
    comment: str | None = Field(default=None, max_length=2000)
    council_wrong: bool = Field(default=False, description="'The council got this wrong.'")

    def ballot(self) -> Ballot:
        return Ballot(
            preferred_label=self.preferred_label,
            ranking=list(self.ranking) if self.ranking is not None else None,
            blind=self.blind,
            rating=self.rating,
            comment=self.comment,
            council_wrong=self.council_wrong,
        )


class CouncilPlacePublic(BaseModel):
    label: str
    model: str
    strength: float | None = Field(description="Bradley–Terry log-strength (mean 0)")
    ci_low: float | None
    ci_high: float | None
    average_rank: float | None
    first_place_votes: int | None


class CouncilRankingPublic(BaseModel):
    """How the council ranked the same answers, best first."""

    winner_label: str | None
    winner_model: str | None
    no_clear_winner: bool
    places: list[CouncilPlacePublic]


class VotePublic(BaseModel):
    run_id: str
    conversation_id: str
    preferred_label: str | None
    preferred_model: str | None
    ranking: list[str] | None
    blind: bool
    rating: Literal["up", "down"] | None
    comment: str | None
    council_wrong: bool
    seed: int = Field(description="The run's seed (labels and presentation orders follow it)")
    presentation_orders: dict[str, list[str]] = Field(
        description="Reviewer (the model that reviewed) → the order it was shown the answers"
    )
    label_to_model: dict[str, str]
    agrees_with_council: bool | None = Field(
        description="Your pick is the council's top answer (null: no pick or no council winner)"
    )
    council: CouncilRankingPublic
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: VoteView) -> VotePublic:
        vote = view.vote
        council = view.council
        return cls(
            run_id=vote.run_id,
            conversation_id=vote.conversation_id,
            preferred_label=vote.preferred_label,
            preferred_model=vote.preferred_model,
            ranking=vote.ranking,
            blind=vote.blind,
            rating=vote.rating,
            comment=vote.comment,
            council_wrong=vote.council_wrong,
            seed=vote.seed,
            presentation_orders=vote.presentation_orders or {},
            label_to_model=vote.label_to_model or {},
            agrees_with_council=view.agrees_with_council,
            council=CouncilRankingPublic(
                winner_label=council.winner_label,
                winner_model=council.winner_model,
                no_clear_winner=council.no_clear_winner,
                places=[CouncilPlacePublic(**vars_of(p)) for p in council.places],
            ),
            created_at=vote.created_at,
            updated_at=vote.updated_at,
        )


def vars_of(place: object) -> dict[str, object]:
    return {name: getattr(place, name) for name in CouncilPlacePublic.model_fields}
