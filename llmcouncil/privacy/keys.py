"""Where the vault key comes from: ``privacy.key`` (``COUNCIL_PRIVACY__KEY``), or a local file.

A deployment configures the key (and keeps older ones in ``privacy.previous_keys`` while
rotating). A local or demo installation on SQLite needs no setup: the first start writes a new key
to ``privacy.key`` beside the database (mode 0600) and says so in the log; losing that file means
stored conversations show placeholders instead of the originals. On any other database the key
must be configured (``check_settings`` says so): a key file on one server's disk would not travel
with a shared database.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from llmcouncil.errors import ConfigError
from llmcouncil.privacy.settings import PrivacySettings, local_key_path, privacy_problems
from llmcouncil.privacy.vault import VaultCipher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VaultKeys:
    keys: list[bytes]  # the first encrypts; all decrypt
    source: str  # "configured", "file <path>" or "memory"


def load_vault_keys(privacy: PrivacySettings, *, database_url: str) -> VaultKeys:
    """The configured keys, or the local key file's (written on first use). Blocking file I/O."""
    previous = [k.get_secret_value().strip().encode() for k in privacy.previous_keys]
    if privacy.key is not None:
        current = privacy.key.get_secret_value().strip().encode()
        return VaultKeys([current, *previous], "configured")
    path = local_key_path(privacy, database_url)
    if path is None:
        raise ConfigError(privacy_problems(privacy, database_url)[:1] or ["privacy.key is unset"])
    return VaultKeys([_read_or_create(path), *previous], f"file {path}")


def _read_or_create(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
    log.warning(
        "privacy: no privacy.key is configured, so a new vault key was generated in %s. "
        "Keep it (and back it up with the database): without it stored conversations show "
        "placeholders instead of the originals. Set COUNCIL_PRIVACY__KEY in production.",
        path,
    )
    return key


def existing_vault_cipher(privacy: PrivacySettings, *, database_url: str) -> VaultCipher | None:
    """For readers (``council conversations``): the keys if there are any, never a new file."""
    if privacy.key is None:
        path = local_key_path(privacy, database_url)
        if path is None or not path.is_file():
            return None
    return VaultCipher(load_vault_keys(privacy, database_url=database_url).keys)
