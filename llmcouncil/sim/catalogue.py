"""The simulated upstream's model list, in OpenRouter's ``GET /models`` shape.

Prices, context lengths and modalities are plausible for late 2026 (they are not quotes). Two
models are past their ``expiration_date`` (a real router stops serving them: the simulator
answers 404) and one is deprecated with a date ahead. Dates are relative to the day of the
request, so the list looks the same whenever the tests or the demo run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

_TEXT = ("text",)
_VISION = ("text", "image")
_DOCS = ("text", "image", "file")
_ALL = ("text", "image", "file", "audio", "video")
_REASONING = (
    "max_tokens",
    "temperature",
    "response_format",
    "structured_outputs",
    "reasoning",
    "include_reasoning",
    "seed",
)
_PLAIN = ("max_tokens", "temperature", "top_p", "response_format", "seed")


@dataclass(frozen=True, slots=True)
class SimModel:
    id: str
    name: str
    context_length: int
    prompt_per_m: float  # US dollars per million tokens
    completion_per_m: float
    inputs: tuple[str, ...] = _TEXT
    outputs: tuple[str, ...] = _TEXT
    parameters: tuple[str, ...] = _PLAIN
    expires_in_days: int | None = None  # negative: already expired

    def expiration(self, today: date) -> date | None:
        if self.expires_in_days is None:
            return None
        return today + timedelta(days=self.expires_in_days)

    def entry(self, *, created: int, today: date) -> dict[str, Any]:
        expiry = self.expiration(today)
        return {
            "id": self.id,
            "canonical_slug": self.id,
            "name": self.name,
            "object": "model",
            "created": created,
            "owned_by": self.id.split("/")[0],
            "description": f"{self.name} (simulated: every answer is made up).",
            "context_length": self.context_length,
            "architecture": {
                "modality": f"{'+'.join(self.inputs)}->{'+'.join(self.outputs)}",
                "input_modalities": list(self.inputs),
                "output_modalities": list(self.outputs),
                "tokenizer": "Other",
                "instruct_type": None,
            },
            "pricing": {
                "prompt": _per_token(self.prompt_per_m),
                "completion": _per_token(self.completion_per_m),
                "request": "0",
                "image": "0",
            },
            "top_provider": {
                "context_length": self.context_length,
                "max_completion_tokens": min(self.context_length // 4, 128_000),
                "is_moderated": False,
            },
            "per_request_limits": None,
            "supported_parameters": list(self.parameters),
            "expiration_date": expiry.isoformat() if expiry else None,
        }


def _per_token(per_million: float) -> str:
    return f"{per_million / 1_000_000:.10f}".rstrip("0").rstrip(".") or "0"


SIM_MODELS: tuple[SimModel, ...] = (
    # The default council (config.py) and its chairman.
    SimModel("openai/gpt-5.4", "OpenAI: GPT-5.4", 1_050_000, 2.5, 15.0, _DOCS, _TEXT, _REASONING),
    SimModel(
        "google/gemini-3.1-pro-preview",
        "Google: Gemini 3.1 Pro Preview",
        1_048_576,
        2.0,
        12.0,
        _ALL,
        _TEXT,
        _REASONING,
    ),
    SimModel(
        "anthropic/claude-sonnet-4.6",
        "Anthropic: Claude Sonnet 4.6",
        1_000_000,
        3.0,
        15.0,
        _DOCS,
        _TEXT,
        _REASONING,
    ),
    SimModel("x-ai/grok-4.20", "xAI: Grok 4.20", 2_000_000, 2.0, 6.0, _VISION, _TEXT, _REASONING),
    SimModel(
        "google/gemini-3-flash-preview",
        "Google: Gemini 3 Flash Preview",
        1_048_576,
        0.5,
        3.0,
        _ALL,
        _TEXT,
        _REASONING,
    ),
    # Earlier ids, still served.
    SimModel("openai/gpt-5.1", "OpenAI: GPT-5.1", 400_000, 1.25, 10.0, _DOCS, _TEXT, _REASONING),
    SimModel(
        "google/gemini-3-pro-preview",
        "Google: Gemini 3 Pro Preview",
        1_048_576,
        2.0,
        12.0,
        _ALL,
        _TEXT,
        _REASONING,
    ),
    SimModel(
        "anthropic/claude-sonnet-4.5",
        "Anthropic: Claude Sonnet 4.5",
        1_000_000,
        3.0,
        15.0,
        _DOCS,
        _TEXT,
        _REASONING,
    ),
    SimModel("x-ai/grok-4", "xAI: Grok 4", 256_000, 3.0, 15.0, _VISION, _TEXT, _REASONING),
    SimModel("google/gemini-2.5-flash", "Google: Gemini 2.5 Flash", 1_048_576, 0.3, 2.5, _ALL),
    SimModel("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 128_000, 0.15, 0.6, _VISION),
    SimModel(
        "anthropic/claude-haiku-4.5", "Anthropic: Claude Haiku 4.5", 200_000, 1.0, 5.0, _VISION
    ),
    SimModel(
        "meta-llama/llama-3.3-70b-instruct", "Meta: Llama 3.3 70B Instruct", 131_072, 0.1, 0.32
    ),
    SimModel("mistralai/mistral-large", "Mistral Large", 128_000, 2.0, 6.0),
    SimModel("deepseek/deepseek-chat", "DeepSeek: DeepSeek V3", 163_840, 0.3, 1.2),
    # More of today's models.
    SimModel(
        "anthropic/claude-opus-4.6",
        "Anthropic: Claude Opus 4.6",
        1_000_000,
        5.0,
        25.0,
        _DOCS,
        _TEXT,
        _REASONING,
    ),
    SimModel("openai/gpt-5.4-mini", "OpenAI: GPT-5.4 Mini", 400_000, 0.25, 2.0, _DOCS),
    SimModel("x-ai/grok-4.1-fast", "xAI: Grok 4.1 Fast", 2_000_000, 0.2, 0.5, _VISION),
    SimModel("deepseek/deepseek-v3.2", "DeepSeek: DeepSeek V3.2", 163_840, 0.27, 0.4),
    SimModel("moonshotai/kimi-k2.5", "MoonshotAI: Kimi K2.5", 262_144, 0.6, 2.5, _VISION),
    SimModel(
        "google/gemini-2.5-flash-image",
        "Google: Gemini 2.5 Flash Image",
        32_768,
        0.3,
        2.5,
        _VISION,
        ("image", "text"),
    ),
    # Deprecated: still served until its date.
    SimModel(
        "google/gemini-2.0-flash-001",
        "Google: Gemini 2.0 Flash",
        1_048_576,
        0.1,
        0.4,
        _ALL,
        expires_in_days=45,
    ),
    # Expired: listed with a past date, and no longer served.
    SimModel(
        "anthropic/claude-3-opus",
        "Anthropic: Claude 3 Opus",
        200_000,
        15.0,
        75.0,
        _VISION,
        expires_in_days=-330,
    ),
    SimModel(
        "openai/gpt-4.5-preview",
        "OpenAI: GPT-4.5 (Preview)",
        128_000,
        75.0,
        150.0,
        _VISION,
        expires_in_days=-500,
    ),
)
SIM_MODELS_BY_ID = {m.id: m for m in SIM_MODELS}


def today_utc() -> date:
    return datetime.now(tz=UTC).date()


def model_entry(model: str, *, created: int, today: date) -> dict[str, Any]:
    """The model's full entry, or OpenAI's plain one for an id the table does not describe."""
    known = SIM_MODELS_BY_ID.get(model)
    if known is not None:
        return known.entry(created=created, today=today)
    return {"id": model, "object": "model", "created": created, "owned_by": model.split("/")[0]}


def expired_on(model: str, today: date) -> date | None:
    """The date ``model`` stopped being served, when it has."""
    known = SIM_MODELS_BY_ID.get(model)
    expiry = known.expiration(today) if known else None
    return expiry if expiry is not None and expiry <= today else None


def refuses_images(model: str) -> bool:
    """A model the table lists without image input (an id it does not describe takes any)."""
    known = SIM_MODELS_BY_ID.get(model)
    return known is not None and "image" not in known.inputs
