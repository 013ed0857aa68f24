"""Which provider serves a model reference; owns one pooled client per upstream.

In demo mode every reference resolves to the built-in simulated upstream, keeping the model id,
so the configured council runs unchanged without a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcouncil.config import ModelRef, Settings, resolve_model
from llmcouncil.errors import ConfigError, ProviderError
from llmcouncil.providers.base import Provider
from llmcouncil.providers.openai_compat import OpenAICompatProvider

SIMULATED_PROVIDER = "simulated"


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    ref: str  # as configured, e.g. "openai/gpt-5.1" or "ollama:llama3.1:8b"
    provider: Provider
    model: str  # the upstream's own id


class ProviderRegistry:
    def __init__(self, settings: Settings, *, simulator_url: str | None = None) -> None:
        self._settings = settings
        self._simulator_url = simulator_url
        self._providers: dict[str, Provider] = {}

    @property
    def demo(self) -> bool:
        return self._simulator_url is not None

    def add(self, provider: Provider) -> None:
        """Register a ready-made provider under its name (tests, native adapters)."""
        self._providers[provider.name] = provider

    def resolve(self, ref: str) -> ResolvedModel:
        target = self._target(ref)
        return ResolvedModel(ref=ref, provider=self._provider(target.provider), model=target.model)

    def _target(self, ref: str) -> ModelRef:
        resolved = resolve_model(self._settings, ref)
        if self._simulator_url is not None:
            return ModelRef(provider=SIMULATED_PROVIDER, model=resolved.model)
        return resolved

    def _provider(self, name: str) -> Provider:
        provider = self._providers.get(name)
        if provider is not None:
            return provider
        timeouts = self._settings.timeouts
        if name == SIMULATED_PROVIDER and self._simulator_url is not None:
            provider = OpenAICompatProvider(
                name=name, base_url=self._simulator_url, connect_timeout=timeouts.connect
            )
        else:
            config = self._settings.providers.get(name)
            if config is None:
                raise ConfigError([f"unknown provider {name!r}"])
            provider = OpenAICompatProvider(
                name=name,
                base_url=config.base_url,
                api_key=config.api_key(),
                headers=config.headers,
                max_connections=config.max_connections,
                connect_timeout=timeouts.connect,
            )
        self._providers[name] = provider
        return provider

    def supports_structured_output(self, ref: str) -> bool:
        target = self._target(ref)
        if target.provider == SIMULATED_PROVIDER:
            return True
        config = self._settings.providers.get(target.provider)
        return bool(config and config.structured_output)

    async def check_models(self, refs: list[str]) -> list[str]:
        """Look every reference up in its upstream's model list; problems, one per line."""
        by_provider: dict[str, list[ModelRef]] = {}
        for ref in dict.fromkeys(refs):
            target = self._target(ref)
            by_provider.setdefault(target.provider, []).append(target)
        problems: list[str] = []
        for name, targets in by_provider.items():
            try:
                known = set(await self._provider(name).list_models())
            except ProviderError as exc:
                problems.append(f"provider {name!r}: could not list models ({exc.message})")
                continue
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(
                f"model {t.model!r} is not in provider {name!r}'s model list"
                for t in targets
                if t.model not in known
            )
        return problems

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()
