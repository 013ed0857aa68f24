"""Roles, scopes, the caller of a request (``Principal``) and the council policy.

A role grants scopes; an API key carries its own scopes, and what it may do is the intersection
with its owner's role at the time of the request (a demoted user's keys lose rights at once).

* ``admin``: every scope — users, every key, budgets, the audit log, and asking.
* ``member``: asking and their own conversations, their own keys and usage.
* ``auditor``: the audit log and everyone's usage, their own keys; no conversations unless
  granted (``read_all_conversations``), and then read-only.

Which presets and models a user's runs may use comes from the user's own lists when set, else
from ``auth.roles.<role>`` in the settings. Every model that could receive the question counts:
members, chairman, their fallbacks and the title model.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from llmcouncil.auth.settings import Role, RolePolicy
from llmcouncil.council.spec import CouncilSpec
from llmcouncil.errors import PermissionDeniedError


class Scope(StrEnum):
    CONVERSATIONS = "conversations"  # ask; read and change one's own conversations
    KEYS = "keys"  # manage one's own API keys
    USAGE = "usage"  # one's own usage and budgets (everyone's for admin and auditor)
    AUDIT = "audit"  # read, export and verify the audit log
    ADMIN = "admin"  # users, everyone's keys, budgets


ROLE_SCOPES: dict[str, frozenset[Scope]] = {
    "admin": frozenset(Scope),
    "member": frozenset({Scope.CONVERSATIONS, Scope.KEYS, Scope.USAGE}),
    "auditor": frozenset({Scope.KEYS, Scope.USAGE, Scope.AUDIT}),
}
ROLES_SEEING_ALL_USAGE = frozenset({"admin", "auditor"})
DEFAULT_KEY_SCOPES = (Scope.CONVERSATIONS,)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request, and what they may do."""

    kind: Literal["local", "session", "api_key"]
    user_id: str | None  # None only in local mode
    username: str
    role: Role
    scopes: frozenset[Scope]
    api_key_id: str | None = None
    session_id: str | None = None
    csrf_token: str | None = None
    read_all_conversations: bool = False
    # Per-user and per-key rate-limit overrides ({"runs_per_minute": 5, …}); None: defaults.
    user_limits: Mapping[str, Any] | None = None
    key_limits: Mapping[str, Any] | None = None

    @property
    def local(self) -> bool:
        return self.kind == "local"

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def sees_all_usage(self) -> bool:
        return self.local or self.role in ROLES_SEEING_ALL_USAGE

    def may_read_conversation(self, owner_id: str | None) -> bool:
        return self.local or owner_id == self.user_id or self.read_all_conversations

    def may_change_conversation(self, owner_id: str | None) -> bool:
        return self.local or (owner_id is not None and owner_id == self.user_id)


LOCAL_PRINCIPAL = Principal(
    kind="local", user_id=None, username="local", role="admin", scopes=frozenset(Scope)
)


def key_scopes(requested: Iterable[str], role: str) -> frozenset[Scope]:
    """Validate the scopes asked for a new key: known, and within the owner's role."""
    scopes: set[Scope] = set()
    for name in requested:
        try:
            scope = Scope(name)
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise PermissionDeniedError(f"unknown scope {name!r} (known: {known})") from None
        if scope not in ROLE_SCOPES.get(role, frozenset()):
            raise PermissionDeniedError(f"the role {role!r} cannot grant the scope {name!r}")
        scopes.add(scope)
    return frozenset(scopes)


@dataclass(frozen=True, slots=True)
class CouncilPolicy:
    """Presets and models (shell-style patterns) a user's runs may use."""

    presets: tuple[str, ...]
    models: tuple[str, ...]

    @classmethod
    def effective(
        cls,
        role_policy: RolePolicy,
        *,
        presets: list[str] | None,
        models: list[str] | None,
    ) -> CouncilPolicy:
        return cls(
            presets=tuple(role_policy.presets if presets is None else presets),
            models=tuple(role_policy.models if models is None else models),
        )

    def allows_model(self, model: str) -> bool:
        return _matches(model, self.models)

    def allows_preset(self, preset: str) -> bool:
        return _matches(preset, self.presets)

    def check(self, spec: CouncilSpec) -> None:
        preset = spec.preset or ""
        if not _matches(preset, self.presets):
            raise PermissionDeniedError(f"you may not use the preset {preset!r}")
        refused = [m for m in models_receiving_data(spec) if not _matches(m, self.models)]
        if refused:
            raise PermissionDeniedError(
                f"you may not send data to {', '.join(refused)}; "
                "choose other models or ask an administrator"
            )


def models_receiving_data(spec: CouncilSpec) -> list[str]:
    refs = [*spec.members, spec.chairman, *spec.chairman_fallbacks]
    refs += [m for chain in spec.fallbacks.values() for m in chain]
    if spec.mode == "self-moa" and spec.sample_model:  # the one model sampled k times
        refs.append(spec.sample_model)
    if spec.title_model:
        refs.append(spec.title_model)
    return list(dict.fromkeys(refs))


def _matches(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)
