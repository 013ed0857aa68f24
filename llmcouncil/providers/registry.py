"""Which provider serves a model reference; owns one pooled client per upstream.

In demo mode every reference resolves to the built-in simulated upstream, keeping the model id,
so the configured council runs unchanged without a key.

The registry also holds the model catalogue (``catalogue.py``) of the upstreams the presets use:
``refresh_catalogue`` fetches the lists that are due, ``keep_catalogue_fresh`` does so forever
in the background, and ``retirement`` answers from the cache only, so a run never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from llmcouncil.config import ModelRef, Settings, resolve_model
from llmcouncil.errors import ConfigError, ProviderError
from llmcouncil.providers.base import Provider
from llmcouncil.providers.catalogue import (
    CatalogueFile,
    Clock,
    ModelCatalogue,
    ModelInfo,
    Retirement,
    parse_catalogue,
)
from llmcouncil.providers.openai_compat import OpenAICompatProvider

SIMULATED_PROVIDER = "simulated"
# After a failed refresh, the next try comes this soon (or at the interval, if shorter).
_RETRY_FAILED_REFRESH_S = 60.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    ref: str  # as configured, e.g. "openai/gpt-5.1" or "ollama:llama3.1:8b"
    provider: Provider
    model: str  # the upstream's own id


class ProviderRegistry:
    def __init__(
        self,
        settings: Settings,
        *,
        simulator_url: str | None = None,
        catalogue: ModelCatalogue | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``catalogue``: the model lists' cache (default: from ``settings.catalogue``);
        ``clock`` (epoch seconds) decides when a list is due and what has expired."""
        self._settings = settings
        self._simulator_url = simulator_url
        self._providers: dict[str, Provider] = {}
        self.catalogue = catalogue or default_catalogue(settings, clock=clock)
        self._refresher: asyncio.Task[None] | None = None

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
                reasoning_format=config.reasoning_format,
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
        """Look every reference up in its upstream's model list, fetched now; problems, one per
        line, each retired id with the closest current ids."""
        by_provider: dict[str, list[ModelRef]] = {}
        for ref in dict.fromkeys(refs):
            target = self._target(ref)
            by_provider.setdefault(target.provider, []).append(target)
        problems: list[str] = []
        for name, targets in by_provider.items():
            try:
                entries = await self._list_entries(name)
            except ProviderError as exc:
                problems.append(f"provider {name!r}: could not list models ({exc.message})")
                continue
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            self.catalogue.put(name, parse_catalogue(entries))
            for target in targets:
                retired = self.catalogue.retirement(name, target.model)
                if retired is not None:
                    problems.append(f"provider {name!r}: model {retired.describe()}")
        await self.catalogue.save()
        return problems

    # -- the catalogue -----------------------------------------------------------------------

    def catalogue_providers(self, refs: Iterable[str]) -> list[str]:
        """The upstreams serving ``refs`` (in demo mode: the simulator)."""
        return list(dict.fromkeys(self._target(ref).provider for ref in refs))

    async def _list_entries(self, name: str) -> list[dict[str, Any]]:
        provider = self._provider(name)
        entries = getattr(provider, "list_model_entries", None)
        if entries is not None:  # the OpenAI-compatible adapter: the whole entries
            result: list[dict[str, Any]] = await entries()
            return result
        return [{"id": model} for model in await provider.list_models()]

    async def refresh_catalogue(self, refs: Iterable[str], *, force: bool = False) -> bool:
        """Fetch the model list of each upstream serving ``refs`` that is due (or all, with
        ``force``). True when every list due was fetched."""
        ok = True
        for name in self.catalogue_providers(refs):
            if force or self.catalogue.stale(name):
                ok &= await self.catalogue.refresh(name, partial(self._list_entries, name))
        return ok

    async def keep_catalogue_fresh(self, refs: list[str], *, interval: float) -> None:
        """Refresh the lists due, then again every ``interval`` seconds, forever (a task the
        runtime cancels). Reports configured ids the upstream retired after each refresh."""
        await self.catalogue.load()
        reported: set[str] = set()
        while True:
            ok = await self.refresh_catalogue(refs)
            for retired in self.retired(refs):
                if retired.describe() not in reported:
                    reported.add(retired.describe())
                    log.warning("configured model %s", retired.describe())
            await asyncio.sleep(interval if ok else min(interval, _RETRY_FAILED_REFRESH_S))

    def start_catalogue_refresh(self, refs: list[str]) -> None:
        """Keep the catalogue of the upstreams serving ``refs`` fresh in the background (unless
        ``catalogue.enabled`` is off); ``aclose`` stops it. Nothing waits for it."""
        config = self._settings.catalogue
        if not config.enabled or self._refresher is not None:
            return
        self._refresher = asyncio.create_task(
            self.keep_catalogue_fresh(refs, interval=config.refresh_interval),
            name="model-catalogue-refresh",
        )

    def retirement(self, ref: str) -> Retirement | None:
        """Why ``ref`` should not be called, from the cached catalogue only (no network);
        None when it is current or nothing is known."""
        try:
            target = self._target(ref)
        except ConfigError:
            return None
        retired = self.catalogue.retirement(target.provider, target.model)
        if retired is None or retired.model == ref:
            return retired
        return Retirement(ref, retired.reason, retired.suggestions)

    def retired(self, refs: Iterable[str]) -> list[Retirement]:
        found = (self.retirement(ref) for ref in dict.fromkeys(refs))
        return [r for r in found if r is not None]

    def model_info(self, ref: str) -> ModelInfo | None:
        target = self._target(ref)
        return self.catalogue.lookup(target.provider, target.model)

    def catalogue_models(self, refs: Iterable[str]) -> list[tuple[str, ModelInfo]]:
        """Every model listed by the upstreams serving ``refs``, as (reference, info); the
        reference has a ``provider:`` prefix unless the upstream is the default provider."""
        listed: list[tuple[str, ModelInfo]] = []
        seen: set[str] = set()
        for ref in refs:
            served = self._target(ref).provider
            if served in seen:
                continue
            seen.add(served)
            entry = self.catalogue.provider(served)
            if entry is None:
                continue
            configured = resolve_model(self._settings, ref).provider
            prefix = "" if configured == self._settings.default_provider else f"{configured}:"
            listed.extend((prefix + m.id, m) for m in entry.models.values())
        return listed

    async def aclose(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()


def default_catalogue(settings: Settings, *, clock: Clock | None = None) -> ModelCatalogue:
    config = settings.catalogue
    path = config.cache_path(settings.database_url)
    catalogue = ModelCatalogue(
        max_age=config.refresh_interval,
        file=CatalogueFile(path) if path is not None else None,
        unsaved=frozenset({SIMULATED_PROVIDER}),
    )
    if clock is not None:
        catalogue.clock = clock
    return catalogue
