"""The placeholder ↔ original mapping of one conversation, and its encryption at rest.

A placeholder is ``<LABEL_n>`` (``<EMAIL_1>``, ``<CARD_2>``), numbered per label in the order
values first appear in the conversation, so the same value gets the same placeholder in every
stage and every turn, and models can still reason about "the same e-mail". Values match as
written: a value written two ways (``4111-1111-…`` and ``4111 1111 …``) gets two placeholders,
because each placeholder must restore to exactly what the user wrote.

The vault is stored with the conversation as one Fernet token (AES-128-CBC + HMAC-SHA256) under
the key from ``privacy.key``; it never leaves the process in clear, and it is never sent to an
upstream: only placeholders are.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from llmcouncil.errors import ConfigError, PrivacyVaultError
from llmcouncil.privacy.entities import label_for

log = logging.getLogger(__name__)

VAULT_FORMAT = 1
# <EMAIL_1>, <API_KEY_12>: capitals and underscores, then _ and a number.
PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*?)_(\d{1,6})>")
MAX_PLACEHOLDER_CHARS = 40


@dataclass(slots=True)
class PiiVault:
    """Placeholders of one conversation. Plain data: encrypt it with ``VaultCipher``."""

    entries: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # placeholder → (entity, original)
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)
    changed: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        for placeholder, (entity, original) in self.entries.items():
            self._index(placeholder, entity, original)

    def __len__(self) -> int:
        return len(self.entries)

    def _index(self, placeholder: str, entity: str, original: str) -> None:
        self._by_value[(entity, original)] = placeholder
        match = PLACEHOLDER.fullmatch(placeholder)
        if match:
            label, number = match.group(1), int(match.group(2))
            self._counters[label] = max(self._counters.get(label, 0), number)

    def placeholder(self, entity: str, original: str) -> str:
        """The placeholder for ``original``: the one it already has, or the next free one."""
        key = (entity, original)
        known = self._by_value.get(key)
        if known is not None:
            return known
        label = label_for(entity)
        number = self._counters.get(label, 0) + 1
        placeholder = f"<{label}_{number}>"
        self.entries[placeholder] = (entity, original)
        self._index(placeholder, entity, original)
        self.changed = True
        return placeholder

    def restore(self, text: str) -> str:
        """``text`` with every placeholder of this vault put back; unknown ones stay."""
        if not self.entries or "<" not in text:
            return text

        def original(match: re.Match[str]) -> str:
            entry = self.entries.get(match.group(0))
            return entry[1] if entry is not None else match.group(0)

        return PLACEHOLDER.sub(original, text)

    def to_json(self) -> bytes:
        data = {
            "v": VAULT_FORMAT,
            "entries": {p: {"type": e, "value": v} for p, (e, v) in self.entries.items()},
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> PiiVault:
        data = json.loads(raw)
        entries = {p: (str(e["type"]), str(e["value"])) for p, e in data["entries"].items()}
        return cls(entries=entries)


class VaultCipher:
    """Seals and opens vaults. The first key encrypts; every key (old ones too) decrypts."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ConfigError(["privacy: no encryption key"])
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError) as exc:
            raise ConfigError([f"privacy.key is not a valid Fernet key: {exc}"]) from exc

    def seal(self, vault: PiiVault) -> str:
        return self._fernet.encrypt(vault.to_json()).decode("ascii")

    def open(self, token: str | None, *, where: str = "a conversation") -> PiiVault:
        """The vault in ``token`` (an empty one for ``None``)."""
        if not token:
            return PiiVault()
        try:
            return PiiVault.from_json(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, KeyError, TypeError) as exc:
            raise PrivacyVaultError(
                [
                    f"the privacy vault of {where} cannot be decrypted with privacy.key; if "
                    "the key was changed, put the old one in privacy.previous_keys"
                ]
            ) from exc

    def for_display(self, conversation_id: str, token: str | None) -> PiiVault | None:
        """The vault to restore what is shown; one that will not open is logged, not fatal.

        The store hands sealed tokens to this (``Store(open_vault=…)``); it never decrypts."""
        if not token:
            return None
        try:
            return self.open(token, where=f"conversation {conversation_id}")
        except PrivacyVaultError as exc:
            log.warning("%s; showing placeholders", exc.problems[0])
            return None
