"""The ``[reviewer_weighting]`` section: weighting reviewers by how often they agree with people.

Off by default. When on, each new run's leaderboard counts a reviewer's pairwise preferences
times its weight: how often its top answer was the one people picked, over the mean of all
reviewers' rates (the figure ``GET /api/analytics/agreement`` shows), from every vote of the
deployment. A reviewer with fewer than ``min_votes`` such votes keeps weight 1; weights are
kept within ``[low, high]`` so no reviewer is silenced or decides alone.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class ReviewerWeightingSettings(BaseModel):
    enabled: bool = Field(
        default=False, description="Weight reviewers by their agreement with people's votes."
    )
    min_votes: int = Field(
        default=20, ge=1, description="Votes a reviewer needs before its weight departs from 1."
    )
    low: float = Field(default=0.25, gt=0, description="The smallest weight a reviewer gets.")
    high: float = Field(default=4.0, gt=0, description="The largest weight a reviewer gets.")
    refresh: float = Field(
        default=300.0, gt=0, description="Seconds between recomputing the weights from votes."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReviewerWeightingSettings:
        if self.low > 1.0 or self.high < 1.0:
            raise ValueError("reviewer_weighting: low must be at most 1 and high at least 1")
        return self
