"""A document's text through the privacy guard, as a message's is, before anything is stored.

The conversation's vault numbers the placeholders, so a value written in the document and in a
question gets the same placeholder. The policy is the preset's: ``redact`` replaces what is found,
``block`` refuses a document holding personal data (nothing is stored), ``off`` replaces only
secrets; values the vault already holds are replaced under every policy.

The scan runs in a worker thread, section by section (each bounded by
``documents.max_section_chars``), on the detector's windowed, linear-time scan
(``privacy/scanning.py``): ``bench/document_scan.py`` measures it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from llmcouncil.errors import PiiBlockedError
from llmcouncil.privacy.detector import Finding
from llmcouncil.privacy.entities import SECRET_ENTITIES
from llmcouncil.privacy.known import KnownValues
from llmcouncil.privacy.policy import PrivacyGuard, PrivacySummary
from llmcouncil.privacy.redaction import redact, spans_to_replace
from llmcouncil.privacy.settings import PiiPolicy
from llmcouncil.privacy.vault import PiiVault
from llmcouncil.store.vault_writes import VaultWrite


@dataclass(slots=True)
class RedactedTexts:
    texts: list[str]
    vault_write: VaultWrite | None  # the re-sealed vault, when the texts added placeholders
    policy: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> PrivacySummary:
        return PrivacySummary(policy=self.policy, redactions=dict(self.counts))


def _redact_all(
    guard: PrivacyGuard,
    texts: Sequence[str],
    *,
    vault: PiiVault,
    policy: PiiPolicy,
    secrets_refused: bool,
) -> tuple[list[str], dict[str, int]]:
    entities = SECRET_ENTITIES if policy == "off" else None
    found: list[list[Finding]] = [guard.detector.find(text, entities=entities) for text in texts]
    refused = sorted(
        {
            f.entity
            for findings in found
            for f in findings
            if (policy == "block" and not f.secret) or (f.secret and secrets_refused)
        }
    )
    if refused:
        raise PiiBlockedError(
            "the document was not added: this council's privacy policy refuses "
            f"{', '.join(refused)}, and the document holds some",
            entities=refused,
        )
    for text, findings in zip(texts, found, strict=True):
        for f in findings:
            vault.placeholder(f.entity, text[f.start : f.end])
    known = KnownValues(vault.entries.values())
    counts: Counter[str] = Counter()
    redacted = [
        redact(text, spans_to_replace(text, findings, known, literals=True), vault, counts)
        for text, findings in zip(texts, found, strict=True)
    ]
    return redacted, dict(counts)


async def redact_texts(
    guard: PrivacyGuard,
    texts: Sequence[str],
    *,
    conversation_id: str,
    vault_token: str | None,
    policy: PiiPolicy,
    secrets_refused: bool,
) -> RedactedTexts:
    """Call under ``guard.writing(conversation_id)`` with the vault as just read, and store
    ``vault_write`` (``store/vault_writes.write_vault``) before releasing it."""
    vault = guard.open_vault(vault_token, conversation_id=conversation_id)
    redacted, counts = await asyncio.to_thread(
        _redact_all,
        guard,
        list(texts),
        vault=vault,
        policy=policy,
        secrets_refused=secrets_refused,
    )
    write = VaultWrite(read=vault_token, sealed=guard.cipher.seal(vault)) if vault.changed else None
    return RedactedTexts(texts=redacted, vault_write=write, policy=policy, counts=counts)
