"""What a run may send upstream: the preset's policy applied to the question and the history.

``PrivacyGuard.protect`` runs once per run, in ``RunService``, before anything is stored or sent:

* ``redact``: every finding becomes its conversation placeholder (``<EMAIL_1>``); the stored
  message, the prompts of all three stages and the title only ever hold placeholders.
* ``block``: personal data in the new question refuses the message (``PiiBlockedError``, naming
  the entity types, never the values); nothing is stored. Earlier turns are redacted, not refused.
* ``off``: text goes out as written, except secrets.

Secrets (API keys, tokens, private keys, passwords) are redacted under every policy, or refused
when ``privacy.secrets = "block"``. Scanning is CPU work, so it runs in a worker thread, unless
no recognizer's expression matches anywhere in a short turn (``candidates.py``): then there is
nothing to scan for, and the turn is passed as it is without the thread's round trip.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import (
    ConflictResolutionStrategy,
    OperatorConfig,
    RecognizerResult,
)

from llmcouncil.config import Settings
from llmcouncil.errors import PiiBlockedError
from llmcouncil.privacy.detector import Finding, PiiDetector, shared_detector
from llmcouncil.privacy.entities import LITERAL_PLACEHOLDER, SECRET_ENTITIES
from llmcouncil.privacy.keys import VaultKeys, load_vault_keys
from llmcouncil.privacy.settings import DEFAULT_POLICY, PiiPolicy, PrivacySettings
from llmcouncil.privacy.vault import PLACEHOLDER, PiiVault, VaultCipher

# Up to this many characters in a turn, whether anything could be found at all is asked on the
# event loop: 0.2 ms for a sentence, 0.6 ms at this length. Some of Presidio's expressions take
# time that grows with the square of the length (2,000 characters: 11 ms), so longer turns are
# always left to a worker thread, which asks the same question before the analysis.
INLINE_SCAN_CHARS = 256


@dataclass(slots=True)
class ProtectedTurn:
    """The question, history and client system prompt as they may leave, and what was done."""

    question: str
    history: list[tuple[str, str]]
    system_prompt: str | None
    vault: PiiVault
    policy: str
    counts: dict[str, int] = field(default_factory=dict)
    sealed: str | None = None  # the re-encrypted vault when this turn added placeholders

    @property
    def summary(self) -> dict[str, Any]:
        """Stored with the run and shown in ``run_start``: the policy and counts per entity type."""
        return {"policy": self.policy, "redactions": dict(sorted(self.counts.items()))}


def _with_literals(text: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` plus the placeholder-shaped text the user typed (``<EMAIL_1>``), so it gets
    a placeholder of its own and is shown back as typed, never as a value of the vault."""
    literals = [
        Finding(LITERAL_PLACEHOLDER, m.start(), m.end(), 0.0)
        for m in PLACEHOLDER.finditer(text)
        if not any(f.start < m.end() and m.start() < f.end for f in findings)
    ]
    return sorted([*findings, *literals], key=lambda f: f.start) if literals else findings


def _entities(policy: PiiPolicy) -> Collection[str] | None:
    return SECRET_ENTITIES if policy == "off" else None


def _nothing(_text: str, *, entities: Collection[str] | None = None) -> list[Finding]:  # noqa: ARG001
    return []


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
    ) -> None:
        self.detector = detector
        self.cipher = cipher
        self._settings = settings
        self.key_source = key_source
        self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
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
        """Hold it from opening a conversation's vault to storing it: numbers never collide."""
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
    ) -> ProtectedTurn:
        """Apply ``policy`` to a turn of the conversation whose stored vault is ``vault_token``.

        Raises ``PiiBlockedError`` (nothing to store) when the policy refuses the question or
        the client's system prompt.
        """
        vault = self.open_vault(vault_token, conversation_id=conversation_id)
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
            turn = scan(find=_nothing)
        else:
            turn = await asyncio.to_thread(scan, find=self.detector.find)
        if vault.changed:
            turn.sealed = self.cipher.seal(vault)
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
        counts: Counter[str] = Counter()
        safe_question = self._redact(question, _with_literals(question, findings), vault, counts)
        safe_prompt = (
            self._redact(prompt, _with_literals(prompt, prompt_findings), vault, counts)
            if prompt
            else None
        )
        safe_history = [
            (
                self._redact(q, find(q, entities=entities), vault, counts),
                self._redact(a, find(a, entities=entities), vault, counts),
            )
            for q, a in history
        ]
        return ProtectedTurn(
            question=safe_question,
            history=safe_history,
            system_prompt=safe_prompt,
            vault=vault,
            policy=policy,
            counts=dict(counts),
        )

    def _redact(
        self, text: str, findings: list[Finding], vault: PiiVault, counts: Counter[str]
    ) -> str:
        if not findings:
            return text
        counts.update(f.entity for f in findings if f.entity != LITERAL_PLACEHOLDER)
        for f in findings:  # numbered in reading order; the anonymizer works from the end
            vault.placeholder(f.entity, text[f.start : f.end])
        operators = {
            entity: OperatorConfig(
                "custom", {"lambda": lambda value, e=entity: vault.placeholder(e, value)}
            )
            for entity in {f.entity for f in findings}
        }
        result = self._anonymizer.anonymize(
            text=text,
            analyzer_results=[
                RecognizerResult(f.entity, f.start, f.end, f.score) for f in findings
            ],
            operators=operators,
            # The detector already merged overlaps, so this strategy has nothing left to trim;
            # adjacent values stay separate placeholders.
            conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS,
            merge_entities_with_spaces=False,
        )
        return str(result.text)

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
