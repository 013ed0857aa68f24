"""A batch's results as CSV or JSON Lines: one row per question, in the order given."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from llmcouncil.batches.repository import Batch, BatchItem

COLUMNS = [
    "position",
    "question",
    "status",
    "answer",
    "error",
    "conversation_id",
    "run_id",
    "cost",
    "prompt_tokens",
    "completion_tokens",
    "calls",
    "latency_ms",
]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def item_row(item: BatchItem) -> dict[str, Any]:
    return {
        "position": item.position,
        "question": item.question,
        "status": item.status,
        "answer": item.answer,
        "error": item.error,
        "conversation_id": item.conversation_id,
        "run_id": item.run_id,
        "cost": item.cost,
        "prompt_tokens": item.prompt_tokens,
        "completion_tokens": item.completion_tokens,
        "calls": item.calls,
        "latency_ms": item.latency_ms,
    }


def _csv_cell(value: Any) -> Any:
    # A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(items: Iterable[BatchItem]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow({k: _csv_cell(v) for k, v in item_row(item).items()})
    return out.getvalue()


def to_jsonl(items: Iterable[BatchItem]) -> str:
    return "".join(json.dumps(item_row(item), ensure_ascii=False) + "\n" for item in items)


def render(items: Iterable[BatchItem], fmt: str) -> str:
    return to_csv(items) if fmt == "csv" else to_jsonl(items)


def filename(batch: Batch, fmt: str) -> str:
    return f"batch-{batch.id}.{fmt}"
