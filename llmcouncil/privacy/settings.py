"""Privacy configuration: the ``[privacy]`` table and each preset's ``pii_policy``.

Kept light (no Presidio import), so reading the configuration stays fast.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from sqlalchemy.engine import make_url

PiiPolicy = Literal["redact", "block", "off"]
DEFAULT_POLICY: PiiPolicy = "redact"
NER_AUTO_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")
KEY_FILE_NAME = "privacy.key"
KEYGEN_HINT = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def _check_fernet_key(key: SecretStr) -> SecretStr:
    try:
        raw = base64.urlsafe_b64decode(key.get_secret_value().strip().encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        # The value itself is never echoed: it is a secret even when malformed.
        raise ValueError(
            f"must be a Fernet key (32 url-safe base64 bytes); make one with: {KEYGEN_HINT}"
        )
    return key


class PrivacySettings(BaseModel):
    key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts each conversation's placeholder vault "
        "(COUNCIL_PRIVACY__KEY). Unset: a key file is generated beside a SQLite database.",
    )
    previous_keys: list[SecretStr] = Field(
        default_factory=list, description="Older keys, still accepted for decryption."
    )
    key_file: Path | None = Field(
        default=None, description="Where the generated key lives (default: beside the database)."
    )
    ner_model: str = Field(
        default="auto",
        description='spaCy model for names and places: "auto" (the largest installed '
        'en_core_web_*), "none", a package name or a path. Never downloaded.',
    )
    score_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    secrets: Literal["redact", "block"] = Field(
        default="redact",
        description="API keys, tokens, private keys, passwords: redacted or refused under "
        "every policy, off included.",
    )

    @field_validator("key")
    @classmethod
    def _valid_key(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _check_fernet_key(value)

    @field_validator("previous_keys")
    @classmethod
    def _valid_previous(cls, value: list[SecretStr]) -> list[SecretStr]:
        return [_check_fernet_key(k) for k in value]


def _installed(name: str) -> bool:
    if Path(name).expanduser().is_dir():
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def find_ner_model(setting: str) -> tuple[str | None, str]:
    """The spaCy model ``privacy.ner_model`` asks for, if installed, and a sentence saying so."""
    if setting.strip().lower() in ("", "none", "off"):
        return None, "names and places are NOT detected: NER is off (privacy.ner_model = none)"
    candidates = NER_AUTO_MODELS if setting == "auto" else (setting,)
    for name in candidates:
        if _installed(name):
            return name, f"names and places are detected with the spaCy model {name}"
    wanted = (
        "no spaCy English model (en_core_web_sm/md/lg) is"
        if setting == "auto"
        else (f"the spaCy model {setting} is not")
    )
    return None, (
        f"names and places are NOT detected: {wanted} installed (e-mails, phones, cards, IBANs, "
        "IPs, national IDs and secrets are)"
    )


def local_key_path(privacy: PrivacySettings, database_url: str) -> Path | None:
    """Where a generated key lives: ``privacy.key_file``, or beside a SQLite database file."""
    if privacy.key_file is not None:
        return privacy.key_file.expanduser()
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return Path("data") / KEY_FILE_NAME
    return Path(url.database).expanduser().parent / KEY_FILE_NAME


def privacy_problems(privacy: PrivacySettings, database_url: str) -> list[str]:
    """What ``check_settings`` reports: no way to get a vault key, a named NER model missing."""
    problems: list[str] = []
    if privacy.key is None and local_key_path(privacy, database_url) is None:
        problems.append(
            "privacy.key (COUNCIL_PRIVACY__KEY) must be set with a non-SQLite database: it "
            f"encrypts the placeholder vaults; make one with: {KEYGEN_HINT}"
        )
    explicit = privacy.ner_model.strip().lower() not in ("auto", "", "none", "off")
    if explicit and find_ner_model(privacy.ner_model)[0] is None:
        problems.append(
            f"privacy.ner_model: the spaCy model {privacy.ner_model!r} is not installed (it is "
            'never downloaded); install it, or use "auto" or "none"'
        )
    return problems
