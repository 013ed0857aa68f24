"""Placeholders, their encryption at rest, and where the key comes from."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from llmcouncil.config import Settings, check_settings
from llmcouncil.errors import ConfigError, PrivacyVaultError
from llmcouncil.privacy.keys import existing_vault_cipher, load_vault_keys
from llmcouncil.privacy.settings import PrivacySettings
from llmcouncil.privacy.vault import PiiVault, VaultCipher


def test_the_same_value_keeps_its_placeholder_and_numbers_run_per_label() -> None:
    vault = PiiVault()
    assert vault.placeholder("EMAIL_ADDRESS", "ana@example.com") == "<EMAIL_1>"
    assert vault.placeholder("EMAIL_ADDRESS", "bo@example.com") == "<EMAIL_2>"
    assert vault.placeholder("EMAIL_ADDRESS", "ana@example.com") == "<EMAIL_1>"
    assert vault.placeholder("CREDIT_CARD", "4111 1111 1111 1111") == "<CARD_1>"
    # Written another way, a value gets its own placeholder: each restores to what was written.
    assert vault.placeholder("CREDIT_CARD", "4111-1111-1111-1111") == "<CARD_2>"
    assert vault.placeholder("ACCESS_TOKEN", "eyJ.eyJ.sig") == "<TOKEN_1>"
    assert vault.changed


def test_restore_puts_back_known_placeholders_only() -> None:
    vault = PiiVault()
    email = vault.placeholder("EMAIL_ADDRESS", "ana@example.com")
    text = f"Write to {email}, not <EMAIL_9> or <email_1> or <EMAIL_1"
    assert vault.restore(text) == "Write to ana@example.com, not <EMAIL_9> or <email_1> or <EMAIL_1"


def test_a_reopened_vault_continues_the_numbering() -> None:
    cipher = VaultCipher([Fernet.generate_key()])
    vault = PiiVault()
    vault.placeholder("PHONE_NUMBER", "+44 20 7946 0958")
    vault.placeholder("PHONE_NUMBER", "+1 415 555 0132")
    reopened = cipher.open(cipher.seal(vault))
    assert not reopened.changed
    assert reopened.placeholder("PHONE_NUMBER", "+1 415 555 0132") == "<PHONE_2>"
    assert reopened.placeholder("PHONE_NUMBER", "+49 30 901820") == "<PHONE_3>"


def test_the_sealed_vault_holds_no_original_and_needs_the_key() -> None:
    vault = PiiVault()
    vault.placeholder("EMAIL_ADDRESS", "ana@example.com")
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = VaultCipher([old]).seal(vault)
    assert "ana@example.com" not in token and "EMAIL" not in token
    with pytest.raises(PrivacyVaultError):
        VaultCipher([new]).open(token, where="conversation c1")
    # Rotation: the new key encrypts, the old one still opens what it sealed.
    rotated = VaultCipher([new, old])
    assert rotated.open(token).restore("<EMAIL_1>") == "ana@example.com"
    assert VaultCipher([new]).open(rotated.seal(vault)).entries == vault.entries


def test_a_local_key_is_generated_once_with_owner_only_access(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'council.db'}"
    privacy = PrivacySettings()
    assert existing_vault_cipher(privacy, database_url=url) is None  # readers never create one
    with caplog.at_level(logging.WARNING):
        first = load_vault_keys(privacy, database_url=url)
    path = tmp_path / "db" / "privacy.key"
    assert first.source == f"file {path}" and "generated" in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.keys[0].decode() not in caplog.text
    assert load_vault_keys(privacy, database_url=url).keys == first.keys
    assert existing_vault_cipher(privacy, database_url=url) is not None


def test_a_shared_database_needs_a_configured_key() -> None:
    url = "postgresql+asyncpg://council@db.internal/council"
    with pytest.raises(ConfigError, match="COUNCIL_PRIVACY__KEY"):
        load_vault_keys(PrivacySettings(), database_url=url)
    problems = check_settings(Settings(database_url=url, demo=True))
    assert any("privacy.key" in p for p in problems)
    key = Fernet.generate_key().decode()
    configured = PrivacySettings(key=SecretStr(key))
    assert load_vault_keys(configured, database_url=url).source == "configured"


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as raised:
        from llmcouncil.config import load_settings

        load_settings(privacy={"key": "not-a-key-but-secret-anyway"})
    assert "not-a-key-but-secret-anyway" not in str(raised.value)
    assert "Fernet key" in str(raised.value)
