"""Settings: defaults < ``council.toml`` < ``.env`` < environment (``COUNCIL_``) < CLI flags.

Nested values use ``__`` in environment variables (``COUNCIL_TIMEOUTS__TOTAL=300``). Providers
name the *environment variable* holding their key, never the key itself, so a config file can be
committed. ``check_settings`` returns every problem at once; the server and ``council config
check`` share it.

A model reference is ``provider:model`` or a bare model id on the default provider. The prefix is
only taken as a provider when it names a configured one, so ``llama3.1:8b`` and OpenRouter's
``…:free`` ids stay whole.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

from llmcouncil.analytics.settings import ReviewerWeightingSettings
from llmcouncil.audit.settings import AuditSettings
from llmcouncil.auth.settings import AuthSettings, auth_problems
from llmcouncil.documents.settings import DocumentSettings
from llmcouncil.errors import ConfigError
from llmcouncil.jobs.settings import JobSettings
from llmcouncil.observability.settings import ObservabilitySettings
from llmcouncil.presets.settings import MAX_MEMBERS, PresetSettings
from llmcouncil.privacy.settings import PrivacySettings, privacy_problems
from llmcouncil.resilience.settings import ResilienceSettings
from llmcouncil.usage.settings import UsageSettings

_PROVIDER_NAME = re.compile(r"[A-Za-z][\w-]*")  # labels run from "Response A" to "Response Z"
DEFAULT_CONFIG_FILE = Path("council.toml")

ReasoningFormat = Literal["openrouter", "openai", "none"]


class ProviderSettings(BaseModel):
    """An OpenAI-compatible upstream."""

    base_url: str
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable that holds the key."
    )
    structured_output: bool = Field(
        default=False, description="The upstream honours response_format json_schema."
    )
    max_connections: int = Field(default=512, ge=1)
    headers: dict[str, str] = Field(default_factory=dict)
    reasoning_format: ReasoningFormat | None = Field(
        default=None,
        description="How effort and budgets are sent: OpenRouter's reasoning object, OpenAI's "
        "reasoning_effort, or not at all; unset: guessed from the base URL.",
    )

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env, "").strip()
        return value or None


def _predefined_providers() -> dict[str, ProviderSettings]:
    return {
        "openrouter": ProviderSettings(
            base_url=os.environ.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"),
            api_key_env="OPENROUTER_API_KEY",
            structured_output=True,
            headers={"X-Title": "LLM Council"},
        ),
        "openai": ProviderSettings(
            base_url=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"),
            api_key_env="OPENAI_API_KEY",
            structured_output=True,
        ),
        "ollama": ProviderSettings(base_url="http://127.0.0.1:11434/v1"),
    }


class TimeoutSettings(BaseModel):
    total: float = Field(default=600.0, gt=0, description="Seconds for a whole model call.")
    first_token: float = Field(
        default=240.0, gt=0, description="Seconds to a stream's first token."
    )
    connect: float = Field(default=15.0, gt=0)


class InstanceSettings(BaseModel):
    """Several server processes on one database: each says it is alive by a heartbeat, and the
    runs it executes are its own while its heartbeat is younger than ``lease``."""

    heartbeat: float = Field(
        default=5.0, gt=0, description="Seconds between an instance's heartbeats."
    )
    lease: float = Field(
        default=20.0,
        gt=0,
        description="Seconds after its last heartbeat before an instance counts as gone and "
        "its running runs as interrupted (retryable on any instance).",
    )
    resume: bool = Field(
        default=True,
        description="A server (`council serve`) takes over the runs a dead instance left "
        "running and resumes each after its last stored stage, as its owner; off: they are "
        "marked interrupted, for the user to retry.",
    )
    drain: float = Field(
        default=0.0,
        ge=0,
        description="`council serve` on SIGTERM: /readyz answers 503 and live runs get this many "
        "seconds to finish before the server stops (api/drain.py); 0: it stops at once.",
    )
    handover: float = Field(
        default=15.0,
        ge=0,
        description="The last seconds of a drain, in which live runs are handed over to the "
        "other instances at their next stage boundary, and at the drain's end mid-stage "
        "(api/handover.py), instead of being cancelled; only while another instance is alive. "
        "As long as the drain or longer: from the drain's start. 0: never handed over.",
    )


class LimitSettings(BaseModel):
    max_content_chars: int = Field(default=100_000, ge=1)
    max_title_chars: int = Field(default=200, ge=1)
    max_history_chars: int = Field(
        default=48_000, ge=0, description="Earlier turns sent along; the oldest drop first."
    )
    max_request_chars: int = Field(
        default=4_000_000,
        ge=1,
        description="Characters of all messages of one /v1 request together (about 1 M tokens, "
        "the largest context windows); past it the request is refused with 413 before any work.",
    )


class CatalogueSettings(BaseModel):
    """The providers' model lists (ids, prices, context lengths, retirements), cached."""

    enabled: bool = Field(
        default=True, description="Fetch the model lists in the background while serving."
    )
    refresh_interval: float = Field(
        default=21_600.0, gt=0, description="Seconds a fetched list stays fresh (6 hours)."
    )
    cache_file: Path | None = Field(
        default=None,
        description="Where the lists are kept across restarts; default: model_catalogue.json "
        "beside a SQLite database, none for other databases.",
    )

    def cache_path(self, database_url: str) -> Path | None:
        if self.cache_file is not None:
            return self.cache_file
        url = make_url(database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).parent / "model_catalogue.json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COUNCIL_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        toml_file=DEFAULT_CONFIG_FILE,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=0, le=65535)
    keep_alive: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="Seconds `council serve` keeps an idle HTTP connection open. Above the idle "
        "timeout of any balancer in front (HAProxy pools idle upstream connections, nginx's "
        "keepalive_timeout and cloud balancers' reach 60 s): a server that closes a connection "
        "first races the balancer reusing it, and the request sent on it is lost.",
    )
    database_url: str = "sqlite+aiosqlite:///./data/council.db"
    demo: bool = False
    default_provider: str = "openrouter"
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    presets: dict[str, PresetSettings] = Field(
        default_factory=lambda: {"default": PresetSettings(description="The original council")}
    )
    default_preset: str = "default"
    timeouts: TimeoutSettings = Field(default_factory=TimeoutSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    instances: InstanceSettings = Field(default_factory=InstanceSettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    on_disconnect: Literal["cancel", "continue"] = "cancel"
    log_level: str = "INFO"
    log_prompts: bool = False
    auth: AuthSettings = Field(default_factory=AuthSettings)
    usage: UsageSettings = Field(default_factory=UsageSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    reviewer_weighting: ReviewerWeightingSettings = Field(default_factory=ReviewerWeightingSettings)
    catalogue: CatalogueSettings = Field(default_factory=CatalogueSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    redis_url: str | None = Field(
        default=None,
        description="Shared by every instance (COUNCIL_REDIS_URL): rate limits and circuit "
        "breakers.",
    )

    @field_validator("providers", mode="after")
    @classmethod
    def _merge_predefined(cls, value: dict[str, ProviderSettings]) -> dict[str, ProviderSettings]:
        merged = _predefined_providers()
        merged.update(value)
        return merged

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: CLI flags (init) > environment > .env > council.toml > defaults.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    def preset(self, name: str | None) -> PresetSettings:
        return self.presets[name or self.default_preset]

    def model_refs(self, *, with_title: bool = True) -> list[str]:
        """Every model any preset may call, each once, in configuration order."""
        refs = [r for p in self.presets.values() for r in p.model_refs(with_title=with_title)]
        return list(dict.fromkeys(refs))


def load_settings(*, config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from every layer; ``overrides`` are CLI flags (None means not given)."""
    path = config_file or Path(os.environ.get("COUNCIL_CONFIG", DEFAULT_CONFIG_FILE))
    if config_file is not None and not config_file.is_file():
        raise ConfigError([f"config file {config_file} does not exist"])
    given = {k: v for k, v in overrides.items() if v is not None}

    class _Layered(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        layered = _Layered(**given)
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()]) from exc
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError([f"{path}: {exc}"]) from exc
    return Settings.model_validate(layered.model_dump())


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
    return f"{where}: {err.get('msg', 'invalid')}"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A resolved model reference: the provider's configured name and the upstream's model id."""

    provider: str
    model: str

    def __str__(self) -> str:
        return self.model


def resolve_model(settings: Settings, ref: str) -> ModelRef:
    prefix, sep, rest = ref.partition(":")
    if sep and prefix in settings.providers and rest:
        return ModelRef(provider=prefix, model=rest)
    return ModelRef(provider=settings.default_provider, model=ref)


def is_demo(settings: Settings) -> bool:
    """Demo mode: asked for, or no provider used by any preset has what it needs to be called."""
    if settings.demo:
        return True
    used = {resolve_model(settings, ref).provider for ref in settings.model_refs()}
    usable = [
        name
        for name in used
        if name in settings.providers
        and (settings.providers[name].api_key_env is None or settings.providers[name].api_key())
    ]
    return not usable


def check_settings(settings: Settings) -> list[str]:
    """Every problem in the configuration that can be found without calling an upstream."""
    problems: list[str] = []
    demo = is_demo(settings)
    problems += privacy_problems(settings.privacy, settings.database_url)
    problems += auth_problems(
        auth=settings.auth, host=settings.host, presets=list(settings.presets)
    )
    if settings.default_provider not in settings.providers:
        problems.append(
            f"default_provider {settings.default_provider!r} is not a configured provider"
        )
    if settings.default_preset not in settings.presets:
        problems.append(f"default_preset {settings.default_preset!r} is not a configured preset")
    for name, provider in settings.providers.items():
        if not provider.base_url.startswith(("http://", "https://")):
            problems.append(f"provider {name!r}: base_url must start with http:// or https://")
    for name, preset in settings.presets.items():
        where = f"preset {name!r}"
        if not preset.members:
            problems.append(f"{where}: needs at least one member")
        if len(preset.members) > MAX_MEMBERS:
            problems.append(
                f"{where}: {len(preset.members)} members, at most {MAX_MEMBERS} (labels A–Z)"
            )
        if len(set(preset.members)) != len(preset.members):
            problems.append(f"{where}: a member is listed twice")
        for member in preset.fallbacks:
            if member not in preset.members:
                problems.append(f"{where}: fallbacks name {member!r}, which is not a member")
        refs = [("member", m) for m in preset.members]
        refs += [("chairman", preset.chairman)]
        refs += [("chairman fallback", m) for m in preset.chairman_fallbacks]
        refs += [("fallback", m) for chain in preset.fallbacks.values() for m in chain]
        if preset.title_model:
            refs.append(("title model", preset.title_model))
        for role, ref in refs:
            problem = _reachability_problem(settings, ref, demo=demo)
            if problem:
                prefix = f"{where}: {role} {ref!r}"
                if role == "chairman":
                    prefix += " is not reachable"
                problems.append(f"{prefix}: {problem}")
    return problems


def _reachability_problem(settings: Settings, ref: str, *, demo: bool) -> str | None:
    resolved = resolve_model(settings, ref)
    provider = settings.providers.get(resolved.provider)
    if provider is None:
        return f"unknown provider {resolved.provider!r}"
    prefix, sep, _rest = ref.partition(":")
    if (
        sep
        and resolved.model == ref
        and _PROVIDER_NAME.fullmatch(prefix)
        and provider.api_key_env is not None
    ):
        # "nowhere:model" on a hosted default provider is almost surely a provider typo; local
        # servers (no key) keep their "name:tag" model ids.
        return f"unknown provider {prefix!r} (configured: {', '.join(sorted(settings.providers))})"
    if demo or provider.api_key_env is None or provider.api_key():
        return None
    return (
        f"provider {resolved.provider!r} needs its key in ${provider.api_key_env}, which is unset"
    )


def validated_settings(settings: Settings) -> Settings:
    problems = check_settings(settings)
    if problems:
        raise ConfigError(problems)
    return settings
