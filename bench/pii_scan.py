"""How long the privacy scan takes on long texts, and that the time grows linearly.

    .venv/bin/python bench/pii_scan.py                 # 10k, 100k, 1M characters
    .venv/bin/python bench/pii_scan.py --sizes 4000000 # up to limits.max_request_chars

Realistic text (prose with an e-mail, a phone number and an IP address every ~700 characters,
fresh random values so no cache helps), scanned as a ``/v1`` request's history is: the detector
(``find``, window by window) and the whole turn (``PrivacyGuard.protect``: find, known values,
placeholders). Also adversarial shapes that used to take time growing with the square of the
length (long runs of "a.a.a…", "1-1-…"). Prints characters, seconds and microseconds per
character; docs/PRIVACY.md ("Long texts") has the numbers of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from redaction import document

from llmcouncil.config import Settings
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.privacy.settings import PrivacySettings

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "dots": lambda n: ("a." * n)[:n],
    "dashes": lambda n: ("1-" * n)[:n],
    "words": lambda n: ("lorem ipsum dolor sit amet " * n)[:n],
}


def _line(what: str, size: int, seconds: float) -> None:
    per = seconds / size * 1e6
    print(f"{what:<28} {size:>10,} chars {seconds:>8.2f} s {per:>7.2f} µs/char", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--adversarial", type=int, default=200_000)
    args = parser.parse_args()
    guard = PrivacyGuard.in_memory(Settings(privacy=PrivacySettings(ner_model="none")))
    rng = random.Random(7)
    for size in args.sizes:
        text = document(rng, size)
        start = time.perf_counter()
        found = guard.detector.find(text)
        _line(f"find ({len(found)} values)", size, time.perf_counter() - start)
        turns = [(text[i : i + 50_000], "ok") for i in range(0, size, 50_000)]
        start = time.perf_counter()
        await guard.protect(
            conversation_id="bench",
            vault_token=None,
            question="Which of these addresses bounced?",
            history=turns,
            policy="redact",
        )
        _line("protect (history)", size, time.perf_counter() - start)
    for name, make in ADVERSARIAL.items():
        text = make(args.adversarial)
        start = time.perf_counter()
        guard.detector.find(text)
        _line(f"find, adversarial {name}", len(text), time.perf_counter() - start)


if __name__ == "__main__":
    asyncio.run(main())
