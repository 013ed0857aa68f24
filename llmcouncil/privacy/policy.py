"""What a run may send upstream: the preset's policy applied to the question and the history.

``PrivacyGuard.protect`` runs once per run, in ``RunService``, before anything is stored or sent:

* ``redact``: every finding becomes its conversation placeholder (``<EMAIL_1>``); the stored
  message, the prompts of all three stages and the title only ever hold placeholders.
* ``block``: personal data in the new question refuses the message (``PiiBlockedError``, naming
  the entity types, never the values); nothing is stored. Earlier turns are redacted, not refused.
* ``off``: text goes out as written, except secrets.

Under every policy, a value the conversation's vault already holds is replaced wherever it is
written again, in any text of the turn, whether or not the detector finds it there
(``known.py``): a redacted value never leaves again.

Secrets (API keys, tokens, private keys, passwords) are redacted under every policy, or refused
when ``privacy.secrets = "block"``. Scanning is CPU work, so it runs in a worker thread, unless
no recognizer's expression matches anywhere in a short turn (``candidates.py``): then there is
nothing to scan for, and the turn is passed as it is without the thread's round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmcouncil.config import Settings
from llmcouncil.errors import PiiBlockedError
from llmcouncil.privacy.detector import Finding, PiiDetector, shared_detector
from llmcouncil.privacy.entities import SECRET_ENTITIES
from llmcouncil.privacy.keys import VaultKeys, load_vault_keys
from llmcouncil.privacy.known import KnownValues
from llmcouncil.privacy.redaction import redact, spans_to_replace
from llmcouncil.privacy.scanning import ScanToken
from llmcouncil.privacy.settings import DEFAULT_POLICY, PiiPolicy, PrivacySettings
from llmcouncil.privacy.vault import PiiVault, VaultCipher
from llmcouncil.store.vault_writes import VaultWrite

# Up to this many characters in a turn, whether anything could be found at all is asked on the
# event loop: 0.2 ms for a sentence, 0.6 ms at this length. Some of Presidio's expressions take
# time that grows with the square of the length (2,000 characters: 11 ms), so longer turns are
# always left to a worker thread, which asks the same question before the analysis.
INLINE_SCAN_CHARS = 256


@dataclass(frozen=True, slots=True)
class PrivacySummary:
    """What the privacy guard did to a turn or a document: the policy applied and how many
    values of each entity type it replaced. Stored with the run (or document) and shown in
    ``run_start``; its JSON is ``{"policy", "redactions": {entity: count}}``."""

    policy: str
    redactions: Mapping[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "redactions": dict(sorted(self.redactions.items()))}

    @classmethod
    def stored(cls, data: Mapping[str, Any] | None) -> PrivacySummary | None:
        """From its stored JSON; None when nothing was stored."""
        if not data or not isinstance(data.get("policy"), str):
            return None
        counts = data.get("redactions")
        redactions = {
            str(entity): int(count)
            for entity, count in (counts.items() if isinstance(counts, Mapping) else ())
            if isinstance(count, int)
        }
        return cls(policy=data["policy"], redactions=redactions)


@dataclass(slots=True)
class ProtectedTurn:
    """The question, history and client system prompt as they may leave, and what was done."""

    question: str
    history: list[tuple[str, str]]
    system_prompt: str | None
    vault: PiiVault
    policy: str
    counts: dict[str, int] = field(default_factory=dict)
    # The re-encrypted vault, over the token it was opened from, when this turn added
    # placeholders: stored only if the vault is still that token (store/vault_writes.py).
    vault_write: VaultWrite | None = None

    @property
    def summary(self) -> PrivacySummary:
        return PrivacySummary(policy=self.policy, redactions=dict(self.counts))


def _entities(policy: PiiPolicy) -> Collection[str] | None:
    return SECRET_ENTITIES if policy == "off" else None


def _nothing(_text: str, *, entities: Collection[str] | None = None) -> list[Finding]:  # noqa: ARG001
    return []


def newest_turns(
    history: Sequence[tuple[str, str]], *, max_chars: int
) -> Sequence[tuple[str, str]]:
    """The newest turns of ``history`` up to ``max_chars`` characters (the one that crosses it
    included)."""
    used = 0
    for index in range(len(history) - 1, -1, -1):
        used += len(history[index][0]) + len(history[index][1])
        if used > max_chars:
            return history[index:]
    return history


async def _off_loop(work: Callable[[], ProtectedTurn], token: ScanToken) -> ProtectedTurn:
    """``work`` in a worker thread; if the caller is cancelled (its client went away), the scan
    is told to stop, and the cancellation completes once the thread has stopped."""
    future = asyncio.get_running_loop().run_in_executor(None, work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        token.cancel()
        with contextlib.suppress(Exception):  # ScanAbandoned, or whatever it ended with
            await future
        raise


def preset_policy(settings: Settings, preset: str | None) -> PiiPolicy:
    config = settings.presets.get(preset or settings.default_preset)
    return config.pii_policy if config is not None else DEFAULT_POLICY


class PrivacyGuard:
    def __init__(
        self,
        *,
        detector: PiiDetector,
        cipher: VaultCipher,
        settings: PrivacySettings,
        key_source: str,
        on_checkpoint: Callable[[ScanToken], None] | None = None,
    ) -> None:
        """``on_checkpoint`` is called by the scanning thread before each window it analyses."""
        self.detector = detector
        self._on_checkpoint = on_checkpoint
        self.cipher = cipher
        self._settings = settings
        self.key_source = key_source
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    async def start(cls, settings: Settings) -> PrivacyGuard:
        """Keys (a file may be written) and the shared detector (slow to build), off the loop."""
        keys = await asyncio.to_thread(
            load_vault_keys, settings.privacy, database_url=settings.database_url
        )
        return await asyncio.to_thread(cls._build, settings, keys)

    @classmethod
    def in_memory(cls, settings: Settings) -> PrivacyGuard:
        """A guard with a throw-away key, for embedding and tests: vaults die with the process."""
        from cryptography.fernet import Fernet

        return cls._build(settings, VaultKeys([Fernet.generate_key()], "memory"))

    @classmethod
    def _build(cls, settings: Settings, keys: VaultKeys) -> PrivacyGuard:
        detector = shared_detector(
            ner_model=settings.privacy.ner_model,
            score_threshold=settings.privacy.score_threshold,
        )
        return cls(
            detector=detector,
            cipher=VaultCipher(keys.keys),
            settings=settings.privacy,
            key_source=keys.source,
        )

    def writing(self, conversation_id: str) -> asyncio.Lock:
        """Hold it from reading a conversation's vault to storing it: this process's writers
        never collide. Another process's are caught by the store's compare-and-set and the
        write done again (``store/vault_writes.retry_on_vault_change``)."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    def open_vault(self, token: str | None, *, conversation_id: str) -> PiiVault:
        return self.cipher.open(token, where=f"conversation {conversation_id}")

    async def protect(
        self,
        *,
        conversation_id: str,
        vault_token: str | None,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        system_prompt: str | None = None,
        policy: PiiPolicy,
        history_budget: int | None = None,
    ) -> ProtectedTurn:
        """Apply ``policy`` to a turn of the conversation whose stored vault is ``vault_token``.

        ``history_budget``: the characters of history the caller will send at most (the oldest
        turns drop first); turns beyond twice that many, counted from the newest, are neither
        scanned nor returned. Without it every turn is (a client's turns that will be stored).

        Raises ``PiiBlockedError`` (nothing to store) when the policy refuses the question or
        the client's system prompt. Cancelling the caller stops the scan within one window.
        """
        vault = self.open_vault(vault_token, conversation_id=conversation_id)
        if history_budget is not None:
            history = newest_turns(history, max_chars=2 * history_budget)
        token = ScanToken(self._on_checkpoint)
        scan = functools.partial(
            self._protect,
            question=question,
            history=history,
            system_prompt=system_prompt,
            vault=vault,
            policy=policy,
        )
        texts = [question, system_prompt or "", *(text for pair in history for text in pair)]
        entities = _entities(policy)
        if sum(map(len, texts)) <= INLINE_SCAN_CHARS and not any(
            self.detector.may_find(text, entities=entities) for text in texts
        ):
            # Nothing any recognizer could find: no scan, so no thread's round trip either.
            # Values the vault already holds are still replaced (``_protect``).
            turn = scan(find=_nothing)
        else:
            find = functools.partial(self.detector.find, checkpoint=token.checkpoint)
            turn = await _off_loop(functools.partial(scan, find=find), token)
        if vault.changed:
            turn.vault_write = VaultWrite(read=vault_token, sealed=self.cipher.seal(vault))
        return turn

    def _protect(
        self,
        *,
        question: str,
        history: Sequence[tuple[str, str]],
        system_prompt: str | None,
        vault: PiiVault,
        policy: PiiPolicy,
        find: Callable[..., list[Finding]],
    ) -> ProtectedTurn:
        entities = _entities(policy)
        prompt = system_prompt.strip() if system_prompt and system_prompt.strip() else None
        findings = find(question, entities=entities)
        prompt_findings = find(prompt, entities=entities) if prompt else []
        refused = sorted(
            {
                f.entity
                for f in [*findings, *prompt_findings]
                if (policy == "block" and not f.secret)
                or (f.secret and self._settings.secrets == "block")
            }
        )
        if refused:
            raise PiiBlockedError(
                "the message was not sent: this council's privacy policy refuses "
                f"{', '.join(refused)}; remove them and send it again",
                entities=refused,
            )
        history_findings = [
            (find(q, entities=entities), find(a, entities=entities)) for q, a in history
        ]
        # Every value found in this turn gets its placeholder (numbered in reading order)
        # before any text is rewritten, so a value found in one text is replaced in all.
        found = [(question, findings), (prompt or "", prompt_findings)]
        for (q, a), (fq, fa) in zip(history, history_findings, strict=True):
            found += [(q, fq), (a, fa)]
        for text, text_findings in found:
            for f in text_findings:
                vault.placeholder(f.entity, text[f.start : f.end])
        known = KnownValues(vault.entries.values())
        counts: Counter[str] = Counter()

        def safe(text: str, text_findings: list[Finding], *, literals: bool) -> str:
            spans = spans_to_replace(text, text_findings, known, literals=literals)
            return redact(text, spans, vault, counts)

        return ProtectedTurn(
            question=safe(question, findings, literals=True),
            history=[
                (safe(q, fq, literals=False), safe(a, fa, literals=False))
                for (q, a), (fq, fa) in zip(history, history_findings, strict=True)
            ],
            system_prompt=safe(prompt, prompt_findings, literals=True) if prompt else None,
            vault=vault,
            policy=policy,
            counts=dict(counts),
        )

    def status(self, settings: Settings) -> dict[str, Any]:
        """What ``/api/status`` says about privacy."""
        ner = self.detector.ner
        return {
            "policies": {name: p.pii_policy for name, p in settings.presets.items()},
            "secrets": self._settings.secrets,
            "entities": list(self.detector.entities),
            "ner": {"available": ner.available, "model": ner.model, "message": ner.message},
            "vault_key": self.key_source.split(" ", 1)[0],
        }
