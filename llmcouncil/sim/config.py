"""How the simulated upstream behaves: latency profiles, faults, capture and the model list.

Everything here is a pydantic model because it crosses a boundary: tests, the benchmarks and the
demo send it as JSON to `PUT /_sim/config`, and `--config file.json` reads the same shape.

Profiles and fault lists are keyed by model id with `"*"` as the fallback: the entry for the
requested model wins, otherwise the `"*"` entry applies (they are not merged).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llmcouncil.sim.catalogue import SIM_MODELS
from llmcouncil.sim.judging import JudgingConfig
from llmcouncil.sim.skills import SkillConfig

DEFAULT_KNOWN_MODELS: tuple[str, ...] = tuple(m.id for m in SIM_MODELS)

PromptKind = Literal["answer", "ranking", "title", "chairman", "revision", "continuation"]
# How a model shows its reasoning: a `reasoning` delta/message field (OpenRouter, Ollama), a
# `reasoning_content` field (DeepSeek, vLLM), or a `<think>` block opening the content (R1-style).
ReasoningStyle = Literal["reasoning", "reasoning_content", "think"]

WILDCARD = "*"


class _Strict(BaseModel):
    # A typo in a JSON config ("base_msec") must fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid")


class LatencyProfile(_Strict):
    """Time to answer one call; streams spread the same total over their chunks."""

    base_ms: float = Field(default=1200.0, ge=0)
    jitter_ms: float = Field(default=300.0, ge=0)
    tail_probability: float = Field(default=0.0, ge=0, le=1)
    tail_multiplier: float = Field(default=4.0, ge=1)
    first_token_ms: float | None = Field(default=None, ge=0)

    def first_token_share(self) -> float:
        """The part of the total spent before the first chunk, so tails stretch it alike."""
        if self.base_ms <= 0:
            return 0.0
        if self.first_token_ms is None:
            return 0.3
        return min(1.0, self.first_token_ms / self.base_ms)


class FaultSpec(_Strict):
    """One fault. Set exactly one of `status`, `hang`, `malformed`, `cut_stream_after`, `empty`,
    `unformatted`, `length`.

    `length` cuts a well-formed reply at that many tokens, as an upstream's output limit does
    (`finish_reason: "length"`).

    `unformatted` is a reply that is well formed on the wire but ignores the requested format: a
    review with no ranking in it (so the council's repair turn can be tested).

    It applies with `probability` per matching call, at most `times` times when `times` is set
    (then it is spent). `FaultSpec(status=503)` therefore fails every call, and
    `FaultSpec(status=429, times=2)` fails the next two.
    """

    status: int | None = Field(default=None, ge=400, le=599)
    hang: bool = False
    malformed: bool = False
    cut_stream_after: int | None = Field(default=None, ge=0)
    empty: bool = False
    unformatted: bool = False
    # A well-formed reply cut at this many tokens, finish_reason "length" (an output limit).
    length: int | None = Field(default=None, ge=1)

    probability: float = Field(default=1.0, ge=0, le=1)
    times: int | None = Field(default=None, ge=0)
    retry_after_s: float = Field(default=1.0, ge=0)
    # Narrows the fault to one stage of the council, e.g. only the chairman's call.
    prompt_kind: PromptKind | None = None
    # Narrows it further to prompts whose last user message holds this text (case-insensitive),
    # e.g. "round 2" for the second revision round only.
    prompt_contains: str | None = None

    @model_validator(mode="after")
    def _exactly_one_fault(self) -> Self:
        chosen = [
            self.status is not None,
            self.hang,
            self.malformed,
            self.cut_stream_after is not None,
            self.empty,
            self.unformatted,
            self.length is not None,
        ]
        if sum(chosen) != 1:
            raise ValueError(
                "set exactly one of status, hang, malformed, cut_stream_after, empty, "
                "unformatted, length"
            )
        return self

    @property
    def kind(self) -> str:
        """A short name recorded in the capture, e.g. `status:429` or `hang`."""
        if self.status is not None:
            return f"status:{self.status}"
        if self.cut_stream_after is not None:
            return f"cut_stream_after:{self.cut_stream_after}"
        if self.hang:
            return "hang"
        if self.unformatted:
            return "unformatted"
        if self.length is not None:
            return f"length:{self.length}"
        return "malformed" if self.malformed else "empty"

    def matches(self, *, stream: bool, prompt_kind: str, prompt: str = "") -> bool:
        # A cut only makes sense on a stream; letting it match plain calls would spend `times`
        # on calls it cannot affect.
        if self.cut_stream_after is not None and not stream:
            return False
        if self.prompt_contains is not None and self.prompt_contains.lower() not in prompt.lower():
            return False
        return self.prompt_kind is None or self.prompt_kind == prompt_kind


class SimConfig(_Strict):
    """The whole behaviour of the simulator; replaced as a unit by `PUT /_sim/config`."""

    seed: int = 0
    latency: dict[str, LatencyProfile] = Field(default_factory=lambda: {WILDCARD: LatencyProfile()})
    faults: dict[str, list[FaultSpec]] = Field(default_factory=dict)
    # Models that reason before answering, and how they show it (keyed like `latency`).
    reasoning: dict[str, ReasoningStyle] = Field(default_factory=dict)
    known_models: list[str] = Field(default_factory=lambda: list(DEFAULT_KNOWN_MODELS))
    strict_models: bool = False
    capture: bool = True
    capture_limit: int = Field(default=1000, ge=0)
    # Scripted reviewer behaviours (a better member, biased reviewers); None: none.
    judging: JudgingConfig | None = None
    # Scripted skill: an answer key, members right or wrong by design, scripted judges.
    skills: SkillConfig | None = None

    def latency_for(self, model: str) -> LatencyProfile:
        profile = self.latency.get(model) or self.latency.get(WILDCARD)
        return profile if profile is not None else LatencyProfile()

    def reasoning_for(self, model: str) -> ReasoningStyle | None:
        return self.reasoning.get(model) or self.reasoning.get(WILDCARD)

    def fault_key_for(self, model: str) -> str | None:
        """The key of the fault list that governs `model`, or None when no list applies."""
        if model in self.faults:
            return model
        return WILDCARD if WILDCARD in self.faults else None

    @classmethod
    def fast(cls, *, base_ms: float = 0.0, seed: int = 0) -> SimConfig:
        """A config with near-zero latency, convenient for tests of other packages."""
        profile = LatencyProfile(base_ms=base_ms, jitter_ms=0.0, first_token_ms=0.0)
        return cls(seed=seed, latency={WILDCARD: profile})

    def with_latency_ms(self, base_ms: float) -> SimConfig:
        """This config with the `"*"` profile's base set to `base_ms` and jitter at a quarter."""
        profile = LatencyProfile(base_ms=base_ms, jitter_ms=base_ms / 4)
        return self.model_copy(update={"latency": {**self.latency, WILDCARD: profile}})
