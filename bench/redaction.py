"""How fast the privacy layer is, and how well it does on the test corpus.

    .venv/bin/python bench/redaction.py            # timings (docs/PRIVACY.md, "Performance")
    .venv/bin/python bench/redaction.py --corpus   # the precision/recall table

Timings use fresh random values on every call, so no cache flatters them: a typical prompt
(~600 characters with a few values), a pasted document (20,000 characters) and the largest
message allowed (100,000 characters), each scanned and redacted as a run does it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "privacy" / "corpus"

PROSE = (
    "We moved the nightly export to the new cluster last week and the numbers look off. "
    "The job ran 14 times, 3 of them over 40 minutes; version 2.7.1 of the exporter is "
    "deployed and the retry budget is 5. "
)


def _values(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(4))
    user = "".join(rng.choice("abcdefghij") for _ in range(7))
    return (
        f"Contact {user}.{digits}@example-corp.com or call +1 415 555 {digits}. "
        f"Server 10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}. "
    )


def typical_prompt(rng: random.Random) -> str:
    return (PROSE + _values(rng) + PROSE + "What should we check first?")[:700]


def document(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        parts.append(PROSE * 3 + _values(rng) + "\n")
    return "".join(parts)[:size]


def _timed(work: object, samples: int) -> list[float]:
    assert callable(work)
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _row(name: str, chars: int, times: list[float]) -> str:
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    return f"| {name} | {chars:,} | {statistics.median(times):.1f} | {p95:.1f} |"


def timings() -> None:
    from llmcouncil.config import Settings

    start = time.perf_counter()
    from llmcouncil.privacy.detector import PiiDetector
    from llmcouncil.privacy.policy import PrivacyGuard

    imported = time.perf_counter() - start
    start = time.perf_counter()
    detector = PiiDetector()
    built = time.perf_counter() - start
    guard = PrivacyGuard.in_memory(Settings())
    rng = random.Random(1)

    def protect(text: str) -> None:
        asyncio.run(
            guard.protect(conversation_id="bench", vault_token=None, question=text, policy="redact")
        )

    print(
        f"import presidio + spaCy: {imported * 1000:.0f} ms; build the analyzer: "
        f"{built * 1000:.0f} ms (once per process)"
    )
    print("| what | characters | median ms | p95 ms |")
    print("|---|---:|---:|---:|")
    prompt = typical_prompt(rng)
    print(
        _row(
            "find, typical prompt",
            len(prompt),
            _timed(lambda: detector.find(typical_prompt(rng)), 200),
        )
    )
    print(
        _row(
            "protect (find + redact + seal), typical prompt",
            len(prompt),
            _timed(lambda: protect(typical_prompt(rng)), 100),
        )
    )
    for size, samples in ((20_000, 10), (100_000, 5)):
        print(
            _row(
                "find, pasted document",
                size,
                _timed(lambda s=size: detector.find(document(rng, s)), samples),
            )
        )


def corpus_table() -> None:
    from llmcouncil.privacy.detector import shared_detector
    from llmcouncil.privacy.evaluation import evaluate, load_corpus, markdown_table

    report = evaluate(load_corpus(CORPUS), shared_detector().find)
    print(markdown_table(report))
    for name, entity, value in report.missed:
        print(f"missed  {name}: {entity} {value!r}", file=sys.stderr)
    for name, entity, value in report.false_positives:
        print(f"false positive  {name}: {entity} {value!r}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="print the precision/recall table")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    corpus_table() if args.corpus else timings()


if __name__ == "__main__":
    main()
