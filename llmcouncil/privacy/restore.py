"""Placeholders back to the originals, in what the requesting user sees.

Stored payloads (a reloaded conversation, an export, the non-streamed answer) are restored as a
whole with ``restore_value``. A live stream is restored event by event by the council's
``StreamRestorer`` (``council/restored_events.py``), which holds back with ``held_from`` the tail
of a model's text that could still become a placeholder.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from llmcouncil.privacy.vault import MAX_PLACEHOLDER_CHARS

_PARTIAL = re.compile(r"<[A-Z0-9_]*\Z")


class Restoring(Protocol):
    """An opened vault, or what the store hands on of one."""

    def restore(self, text: str) -> str: ...

    def __len__(self) -> int: ...


def restore_value(value: Any, vault: Restoring | None) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every placeholder restored."""
    if vault is None or not len(vault):
        return value
    if isinstance(value, str):
        return vault.restore(value)
    if isinstance(value, dict):
        return {k: restore_value(v, vault) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_value(v, vault) for v in value]
    return value


def held_from(text: str) -> int:
    """Where the tail of ``text`` that could still grow into a placeholder starts."""
    start = text.rfind("<")
    if start < 0 or len(text) - start >= MAX_PLACEHOLDER_CHARS:
        return len(text)
    return start if _PARTIAL.match(text, start) else len(text)
