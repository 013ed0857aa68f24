"""Personal data and secrets: found before any text leaves, replaced by placeholders, restored for
the user. ``PrivacyGuard`` applies a preset's policy; ``PiiVault`` holds one conversation's
placeholders (encrypted at rest by ``VaultCipher``; the store keeps only the sealed token);
``restore_value`` puts the originals back in what the requesting user sees. See docs/PRIVACY.md.

Kept light: Presidio (and spaCy under it) is imported only when a detector is built
(``detector.PiiDetector``, with ``recognizers`` and ``candidates``), so configuration and every
command that scans no text can import this package and ``policy``.
"""

from llmcouncil.privacy.entities import SECRET_ENTITIES, label_for
from llmcouncil.privacy.settings import PiiPolicy, PrivacySettings, find_ner_model
from llmcouncil.privacy.vault import PiiVault, VaultCipher

__all__ = [
    "SECRET_ENTITIES",
    "PiiPolicy",
    "PiiVault",
    "PrivacySettings",
    "VaultCipher",
    "find_ner_model",
    "label_for",
]
