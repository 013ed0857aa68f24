"""Passwords (argon2id) and random tokens (sessions, API keys, one-time links).

Passwords are hashed with argon2id; verifying takes tens of milliseconds of CPU on purpose, so it
runs in a worker thread, never on the event loop. An unknown username is answered after verifying
against a dummy hash, so response time does not tell which usernames exist.

Tokens are 256 random bits. Being unguessable, they are stored as a plain SHA-256 (a slow hash
protects low-entropy passwords, not random keys) and looked up by it. An API key reads
``lc_<prefix>_<secret>``: the prefix is shown in lists and logs and identifies the key, the
secret is shown once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from llmcouncil.auth.settings import PasswordHashSettings

API_KEY_PATTERN = re.compile(r"lc_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


class Passwords:
    def __init__(self, params: PasswordHashSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost,
            parallelism=params.parallelism,
        )
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches; with ``stored`` None, spends the same time, False."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_urlsafe(16))
            await asyncio.to_thread(self._check, self._dummy, password)
            return False
        return await asyncio.to_thread(self._check, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def _check(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"a password has at most {MAX_PASSWORD_CHARS} characters"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewApiKey:
    prefix: str
    secret: str  # the whole key, shown once
    secret_hash: str


def new_api_key() -> NewApiKey:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(12))
    body = secrets.token_urlsafe(32)
    while len(body) != 43:  # token_urlsafe(32) is always 43 characters; stay safe anyway
        body = secrets.token_urlsafe(32)
    key = f"lc_{prefix}_{body}"
    return NewApiKey(prefix=prefix, secret=key, secret_hash=token_digest(key))


def parse_api_key(value: str) -> str | None:
    """The key's prefix, or None when ``value`` is not shaped like one of our keys."""
    match = API_KEY_PATTERN.fullmatch(value.strip())
    return match.group(1) if match else None


def same_digest(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored, token_digest(presented))
