"""The dice: how long each call takes and which fault, if any, it suffers.

All randomness of a run comes from one `random.Random(config.seed)`, drawn synchronously when a
call arrives, so a sequence of calls replays exactly after `reset()` or with the same seed. The
`times` budgets of faults live here too, beside the config rather than inside it, so the config
stays a plain value that `GET /_sim/config` can echo back unchanged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from llmcouncil.sim.config import FaultSpec, LatencyProfile, SimConfig


@dataclass(frozen=True, slots=True)
class CallPlan:
    """What the server will do with one chat call, decided on arrival."""

    total_s: float
    first_token_s: float
    fault: FaultSpec | None

    @property
    def fault_kind(self) -> str | None:
        return self.fault.kind if self.fault is not None else None


class CallPlanner:
    """Draws latency and faults for each call from a seeded random source."""

    def __init__(self, config: SimConfig) -> None:
        self._config = config
        self._rng = random.Random(config.seed)
        # Remaining uses of each fault with a `times` budget, by (fault list key, position).
        self._remaining: dict[tuple[str, int], int] = {
            (key, index): fault.times
            for key, faults in config.faults.items()
            for index, fault in enumerate(faults)
            if fault.times is not None
        }

    @property
    def config(self) -> SimConfig:
        return self._config

    def plan(self, *, model: str, stream: bool, prompt_kind: str, prompt: str = "") -> CallPlan:
        profile = self._config.latency_for(model)
        total_s = self._draw_total_s(profile)
        first_token_s = total_s * profile.first_token_share()
        fault = self._draw_fault(model=model, stream=stream, prompt_kind=prompt_kind, prompt=prompt)
        return CallPlan(total_s=total_s, first_token_s=first_token_s, fault=fault)

    def remaining_times(self) -> dict[str, list[int | None]]:
        """How many uses each fault has left (None: unlimited), for `GET /_sim/config`."""
        return {
            key: [self._remaining.get((key, index)) for index in range(len(faults))]
            for key, faults in self._config.faults.items()
        }

    def _draw_total_s(self, profile: LatencyProfile) -> float:
        total_ms = profile.base_ms
        if profile.jitter_ms > 0:
            total_ms += self._rng.uniform(-profile.jitter_ms, profile.jitter_ms)
        if profile.tail_probability > 0 and self._rng.random() < profile.tail_probability:
            total_ms *= profile.tail_multiplier
        return max(0.0, total_ms) / 1000.0

    def _draw_fault(
        self, *, model: str, stream: bool, prompt_kind: str, prompt: str = ""
    ) -> FaultSpec | None:
        key = self._config.fault_key_for(model)
        if key is None:
            return None
        for index, fault in enumerate(self._config.faults[key]):
            if not fault.matches(stream=stream, prompt_kind=prompt_kind, prompt=prompt):
                continue
            budget = self._remaining.get((key, index))
            if budget == 0:
                continue
            # Certain faults skip the draw so adding one does not shift the random sequence.
            if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                continue
            if budget is not None:
                self._remaining[(key, index)] = budget - 1
            return fault
        return None
