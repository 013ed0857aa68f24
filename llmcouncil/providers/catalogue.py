"""The providers' model lists: what each model costs, how much it reads, and whether it is retired.

``parse_catalogue`` reads a ``GET /models`` body in OpenRouter's shape (name, context length,
prices per token, modalities, supported parameters, ``expiration_date``) or OpenAI's (ids,
``shutdown_date``), and ``ModelCatalogue`` keeps one per upstream:

* in memory, for ``max_age`` seconds (an injected clock decides), then marked stale but still
  used: a stale list is better than none, and a run never waits for a fetch;
* in a JSON file (``CatalogueFile``), so a restart has a catalogue before the network answers;
* refreshed by ``refresh_forever``, a background task, every ``refresh_interval`` seconds.

A file rather than a table: the list is public, the same for every user and rebuilt by one
request, so it needs no migration, no per-dialect column types and no transaction; a missing or
damaged file costs only the wait for the first refresh. Writes replace the file atomically.

A model is *retired* when the upstream no longer lists it, or lists it with an expiration date
that has passed; ``closest_ids`` suggests current ids for it (difflib's ratio over the ids).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Clock = Callable[[], float]  # seconds since the epoch
Fetch = Callable[[], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model as the upstream lists it. Prices are US dollars per token; None: not stated."""

    id: str
    name: str
    context_length: int | None = None
    prompt_price: float | None = None
    completion_price: float | None = None
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    supported_parameters: tuple[str, ...] = ()
    expiration_date: date | None = None

    @property
    def deprecated(self) -> bool:
        """The upstream has announced an end date (past or future)."""
        return self.expiration_date is not None

    def expired(self, today: date) -> bool:
        return self.expiration_date is not None and self.expiration_date <= today

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["expiration_date"] = self.expiration_date.isoformat() if self.expiration_date else None
        for key in ("input_modalities", "output_modalities", "supported_parameters"):
            data[key] = list(data[key])
        return data


def as_entry(info: ModelInfo) -> dict[str, Any]:
    """``info`` in OpenRouter's shape, which ``parse_model`` reads back unchanged."""
    return {
        "id": info.id,
        "name": info.name,
        "context_length": info.context_length,
        "pricing": {"prompt": info.prompt_price, "completion": info.completion_price},
        "architecture": {
            "input_modalities": list(info.input_modalities),
            "output_modalities": list(info.output_modalities),
        },
        "supported_parameters": list(info.supported_parameters),
        "expiration_date": info.expiration_date.isoformat() if info.expiration_date else None,
    }


def parse_model(entry: Mapping[str, Any]) -> ModelInfo | None:
    """One entry of a model list; None for an entry without an id."""
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        return None
    pricing = _mapping(entry.get("pricing"))
    arch = _mapping(entry.get("architecture"))
    top = _mapping(entry.get("top_provider"))
    context = _int(entry.get("context_length")) or _int(top.get("context_length"))
    return ModelInfo(
        id=model_id,
        name=str(entry.get("name") or model_id),
        context_length=context,
        prompt_price=_price(pricing.get("prompt")),
        completion_price=_price(pricing.get("completion")),
        input_modalities=_strings(arch.get("input_modalities"), default=("text",)),
        output_modalities=_strings(arch.get("output_modalities"), default=("text",)),
        supported_parameters=_strings(entry.get("supported_parameters"), default=()),
        expiration_date=_date(entry.get("expiration_date") or entry.get("shutdown_date")),
    )


def parse_catalogue(entries: Iterable[Any]) -> list[ModelInfo]:
    models = [parse_model(e) for e in entries if isinstance(e, Mapping)]
    return [m for m in models if m is not None]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    return None


def _price(value: Any) -> float | None:
    # OpenRouter sends prices as decimal strings ("0.00000125"); "-1" marks a variable price.
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return price if price >= 0 and price == price and price != float("inf") else None


def _strings(value: Any, *, default: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list):
        return default
    return tuple(str(v) for v in value if isinstance(v, str))


def _date(value: Any) -> date | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC).date()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def closest_ids(model: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Current ids that look most like ``model``: same vendor prefix first, then any."""
    pool = list(dict.fromkeys(candidates))
    vendor = model.partition("/")[0] + "/" if "/" in model else ""
    same = [c for c in pool if vendor and c.startswith(vendor)]
    found = difflib.get_close_matches(model, same or pool, n=limit, cutoff=0.5)
    if len(found) < limit and same:
        extra = difflib.get_close_matches(model, pool, n=limit, cutoff=0.6)
        found += [m for m in extra if m not in found][: limit - len(found)]
    return found


@dataclass(frozen=True, slots=True)
class Retirement:
    """Why a configured id should not be called, and what to call instead."""

    model: str
    reason: str
    suggestions: tuple[str, ...] = ()

    @property
    def explanation(self) -> str:
        text = self.reason
        if self.suggestions:
            text += f"; closest current ids: {', '.join(self.suggestions)}"
        return text

    def describe(self) -> str:
        return f"{self.model} {self.explanation}"


@dataclass(slots=True)
class ProviderModels:
    """One upstream's list as last fetched."""

    models: dict[str, ModelInfo]
    fetched_at: float  # epoch seconds

    def current(self, today: date) -> list[str]:
        return [m.id for m in self.models.values() if not m.expired(today)]

    def retirement(self, model: str, today: date) -> Retirement | None:
        info = self.models.get(model)
        if info is not None and not info.expired(today):
            return None
        if info is None:
            reason = "is no longer in the provider's model list"
        else:
            assert info.expiration_date is not None
            reason = f"expired on {info.expiration_date.isoformat()}"
        return Retirement(model, reason, tuple(closest_ids(model, self.current(today))))


class CatalogueFile:
    """Every upstream's last list in one JSON file, written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, ProviderModels]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("model catalogue file %s is unreadable (%s); ignored", self.path, exc)
            return {}
        loaded: dict[str, ProviderModels] = {}
        for name, body in raw.items() if isinstance(raw, dict) else []:
            if not isinstance(body, dict) or not isinstance(body.get("models"), list):
                continue
            models = parse_catalogue(body["models"])
            fetched = body.get("fetched_at")
            loaded[name] = ProviderModels(
                {m.id: m for m in models},
                float(fetched) if isinstance(fetched, int | float) else 0.0,
            )
        return loaded

    def save(self, catalogues: Mapping[str, ProviderModels]) -> None:
        body = {
            name: {
                "fetched_at": entry.fetched_at,
                "models": [as_entry(m) for m in entry.models.values()],
            }
            for name, entry in catalogues.items()
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body, separators=(",", ":")), "utf-8")
        os.replace(tmp, self.path)


@dataclass(slots=True)
class ModelCatalogue:
    """Each upstream's model list, cached; reads never wait for the network."""

    max_age: float = 3600.0
    clock: Clock = time.time
    file: CatalogueFile | None = None
    # Upstreams whose lists are not written to the file (the simulator's in demo mode).
    unsaved: frozenset[str] = frozenset()
    _lists: dict[str, ProviderModels] = field(default_factory=dict)

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock(), tz=UTC).date()

    async def load(self) -> None:
        """Read the file (off the event loop); lists already fetched in this process win."""
        if self.file is None:
            return
        loaded = await asyncio.to_thread(self.file.load)
        for name, entry in loaded.items():
            self._lists.setdefault(name, entry)

    def provider(self, name: str) -> ProviderModels | None:
        return self._lists.get(name)

    def providers(self) -> list[str]:
        return list(self._lists)

    def stale(self, name: str) -> bool:
        entry = self._lists.get(name)
        return entry is None or self.clock() - entry.fetched_at >= self.max_age

    def put(self, name: str, models: Iterable[ModelInfo]) -> None:
        self._lists[name] = ProviderModels({m.id: m for m in models}, self.clock())

    async def refresh(self, name: str, fetch: Fetch) -> bool:
        """Fetch one upstream's list; on failure keep the old one. True when it was replaced."""
        try:
            entries = await fetch()
        except Exception as exc:
            log.warning("model catalogue: could not list provider %r's models: %s", name, exc)
            return False
        models = parse_catalogue(entries)
        if not models:
            log.warning("model catalogue: provider %r listed no models; kept the old list", name)
            return False
        self.put(name, models)
        await self.save()
        return True

    async def save(self) -> None:
        if self.file is None:
            return
        kept = {n: e for n, e in self._lists.items() if n not in self.unsaved}
        if not kept:
            return
        try:
            await asyncio.to_thread(self.file.save, kept)
        except OSError as exc:
            log.warning("model catalogue: could not write %s: %s", self.file.path, exc)

    def lookup(self, name: str, model: str) -> ModelInfo | None:
        entry = self._lists.get(name)
        return entry.models.get(model) if entry else None

    def retirement(self, name: str, model: str) -> Retirement | None:
        """Why ``model`` of upstream ``name`` is retired; None when current or unknown upstream."""
        entry = self._lists.get(name)
        return entry.retirement(model, self.today()) if entry else None
