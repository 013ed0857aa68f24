"""The council a run uses: members, chairman, fallbacks and prompts, frozen at the run's start.

A conversation names a preset or its own members and chairman; ``resolve_council`` turns that
into a ``CouncilSpec`` checked against the configuration, and the spec is stored with the run so a
retry or a reload uses exactly the council that ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from llmcouncil.config import Settings, resolve_model
from llmcouncil.errors import NotFoundError, ValidationFailedError
from llmcouncil.presets.settings import MAX_MEMBERS, MAX_REVISION_ROUNDS, MODES


@dataclass(frozen=True, slots=True)
class CouncilSpec:
    preset: str | None
    members: list[str]
    chairman: str
    chairman_fallbacks: list[str] = field(default_factory=list)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)
    title_model: str | None = None
    system_prompts: dict[str, str] = field(default_factory=dict)
    temperature: float | None = None
    max_tokens: int | None = None
    exclude_self_votes: bool = True
    structured_rankings: bool = True
    mask_self_identification: bool = True
    # How the council deliberates (council/modes.py); a run stored before modes is "classic".
    mode: str = "classic"
    revision_rounds: int = 1
    samples: int = 4
    sample_model: str | None = None
    sample_reviewers: str = "members"
    early_stop: bool = False
    structured_synthesis: bool = True
    # Effort and budgets: {"answers"|"reviews"|"chairman": {...}, "models": {model: {...}}}.
    reasoning: dict[str, Any] = field(default_factory=dict)
    # Reviewer model → weight of its votes in the leaderboard (analytics/weighting.py); empty:
    # every vote counts once. Stored with the run, so a retry ranks as the first attempt did.
    reviewer_weights: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CouncilSpec:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def resolve_council(
    settings: Settings,
    *,
    preset: str | None = None,
    members: list[str] | None = None,
    chairman: str | None = None,
    mode: str | None = None,
    rounds: int | None = None,
    reasoning: dict[str, Any] | None = None,
) -> CouncilSpec:
    """``mode`` and ``rounds`` (a question's own) take the place of the preset's;
    ``reasoning`` (a conversation's own, ``StageReasoning``'s set fields) goes over the
    preset's: each stage it sets, and each model's settings."""
    name = preset or settings.default_preset
    config = settings.presets.get(name)
    if config is None:
        known = ", ".join(sorted(settings.presets))
        raise NotFoundError(f"preset {name!r} does not exist (known: {known})")
    chosen = list(dict.fromkeys(members)) if members else list(config.members)
    chair = chairman or config.chairman
    problems: list[str] = []
    if not chosen:
        problems.append("a council needs at least one member")
    if len(chosen) > MAX_MEMBERS:
        problems.append(f"{len(chosen)} members, at most {MAX_MEMBERS}")
    for ref in [*chosen, chair]:
        if not ref.strip():
            problems.append("a model id is empty")
        elif resolve_model(settings, ref).provider not in settings.providers:
            problems.append(f"model {ref!r} names an unknown provider")
    chosen_mode = mode or config.mode
    if chosen_mode not in MODES:
        problems.append(f"mode {chosen_mode!r} is not one of {', '.join(MODES)}")
    if rounds is not None and not 1 <= rounds <= MAX_REVISION_ROUNDS:
        problems.append(f"rounds must be between 1 and {MAX_REVISION_ROUNDS}, not {rounds}")
    sample_model = config.sample_model or (chosen[0] if chosen else chair)
    if config.sample_model and resolve_model(settings, sample_model).provider not in (
        settings.providers
    ):
        problems.append(f"sample model {sample_model!r} names an unknown provider")
    own = reasoning or {}
    strangers = sorted(set(own.get("models") or {}) - {*chosen, chair})
    if strangers:
        problems.append(f"reasoning is set for {', '.join(strangers)}, not in this council")
    if problems:
        raise ValidationFailedError("; ".join(problems))
    prompts = config.system_prompts
    preset_reasoning = config.reasoning.model_dump(exclude_defaults=True)
    return CouncilSpec(
        preset=name,
        members=chosen,
        chairman=chair,
        chairman_fallbacks=[m for m in config.chairman_fallbacks if m != chair],
        fallbacks={m: list(chain) for m, chain in config.fallbacks.items() if m in chosen},
        title_model=config.title_model,
        system_prompts={
            "stage1": prompts.stage1,
            "stage2": prompts.stage2,
            "stage3": prompts.stage3,
        },
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        exclude_self_votes=config.exclude_self_votes,
        structured_rankings=config.structured_rankings,
        mask_self_identification=config.mask_self_identification,
        mode=chosen_mode,
        revision_rounds=rounds or config.revision_rounds,
        samples=config.samples,
        sample_model=sample_model,
        sample_reviewers=config.sample_reviewers,
        early_stop=config.early_stop,
        structured_synthesis=config.structured_synthesis,
        reasoning={
            **preset_reasoning,
            **{stage: value for stage, value in own.items() if stage != "models"},
            "models": {**preset_reasoning.get("models", {}), **(own.get("models") or {})},
        }
        if own
        else preset_reasoning,
    )
