"""The hash chain: what one audit record is, and how its hash is computed.

Each record's hash is SHA-256 (or HMAC-SHA256 when ``audit.key_env`` names a secret) over the
canonical JSON of every field, ``prev_hash`` included, where ``prev_hash`` is the previous record's
hash (64 zeros for the first). Editing a record changes its hash; deleting, inserting or
reordering records breaks the link to the next one; the sequence numbers show a gap. Only a cut
at the end leaves no trace inside the log itself, which is why ``council audit verify`` prints
the head (sequence number and hash) for keeping elsewhere and accepts it back as an anchor.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_time(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a user (and the key they used), the local operator, or the system."""

    user_id: str | None = None
    name: str | None = None
    key_id: str | None = None
    ip: str | None = None


SYSTEM = Actor(name="system")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    created_at: str
    action: str
    outcome: str
    actor: Actor
    target: str | None
    details: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "created_at": self.created_at,
            "action": self.action,
            "outcome": self.outcome,
            "actor_user_id": self.actor.user_id,
            "actor_name": self.actor.name,
            "actor_key_id": self.actor.key_id,
            "actor_ip": self.actor.ip,
            "target": self.target,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self, key: bytes | None) -> str:
        message = canonical_json(self.hashed_fields()).encode()
        if key:
            return hmac.new(key, message, hashlib.sha256).hexdigest()
        return hashlib.sha256(message).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {**self.hashed_fields(), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return cls(
            seq=int(data["seq"]),
            created_at=str(data["created_at"]),
            action=str(data["action"]),
            outcome=str(data["outcome"]),
            actor=Actor(
                user_id=data.get("actor_user_id"),
                name=data.get("actor_name"),
                key_id=data.get("actor_key_id"),
                ip=data.get("actor_ip"),
            ),
            target=data.get("target"),
            details=dict(data.get("details") or {}),
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
        )
