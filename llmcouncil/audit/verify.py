"""Checking the chain: every record's hash, every link, and the sequence; says where it broke.

Works on any ordered stream of records, so the live table and a JSONL export are checked alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field

from llmcouncil.audit.chain import GENESIS, AuditEntry


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    kind: str  # altered | broken_link | missing | truncated | anchor_mismatch
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass(slots=True)
class ChainReport:
    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "records": self.records,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head seen earlier (``SEQ:HASH``): the log must still contain it, unchanged."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, sep, digest = text.strip().partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            raise ValueError("an anchor reads SEQ:HASH, e.g. 41:9f86d0…")
        return cls(seq=int(seq), hash=digest.lower())


async def verify_chain(
    entries: AsyncIterable[AuditEntry], *, key: bytes | None, anchor: Anchor | None = None
) -> ChainReport:
    report = ChainReport()
    expected_seq = 1
    previous_hash = GENESIS
    anchor_seen = False
    async for entry in entries:
        report.records += 1
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                gap = (
                    f"record {expected_seq} is missing"
                    if entry.seq == expected_seq + 1
                    else f"records {expected_seq}–{entry.seq - 1} are missing"
                )
                report.problems.append(ChainProblem(expected_seq, "missing", gap))
            else:
                report.problems.append(
                    ChainProblem(entry.seq, "broken_link", f"record {entry.seq} is out of order")
                )
        if entry.prev_hash != previous_hash:
            report.problems.append(
                ChainProblem(
                    entry.seq,
                    "broken_link",
                    f"record {entry.seq} does not follow the record before it (its prev_hash "
                    f"is {entry.prev_hash[:12]}…, the previous hash is {previous_hash[:12]}…): "
                    "a record before it was removed, inserted, reordered or rewritten",
                )
            )
        computed = entry.compute_hash(key)
        if computed != entry.hash:
            report.problems.append(
                ChainProblem(
                    entry.seq,
                    "altered",
                    f"record {entry.seq} ({entry.action}) was altered: its content does not "
                    "match its hash",
                )
            )
        if anchor is not None and entry.seq == anchor.seq:
            anchor_seen = True
            if entry.hash != anchor.hash:
                report.problems.append(
                    ChainProblem(
                        entry.seq,
                        "anchor_mismatch",
                        f"record {entry.seq} is not the record the anchor names",
                    )
                )
        previous_hash = entry.hash
        expected_seq = entry.seq + 1
        report.head_seq, report.head_hash = entry.seq, entry.hash
    if anchor is not None and not anchor_seen:
        report.problems.append(
            ChainProblem(
                anchor.seq,
                "truncated",
                f"the log ends at record {report.head_seq}, but record {anchor.seq} existed "
                "when the anchor was taken: records were removed from the end",
            )
        )
    return report
