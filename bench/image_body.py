"""Event-loop time an image costs a run: encoding it once, and writing each call's body.

    .venv/bin/python bench/image_body.py                  # a 5 MB image (the default limit)
    .venv/bin/python bench/image_body.py --mb 1 --runs 9

An image goes to each model that reads it as a data URL in the documents' message. Prints the
best of ``--runs`` for: base64 of the image (``ImagePart.of``, once per image while it is among
the recent ones), a call's body through ``json.dumps`` (what aiohttp's ``json=`` does), and the
same body with the URL spliced in (``providers/image_wire.json_body``, what the adapter does).
docs/PERFORMANCE.md keeps the numbers of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

from llmcouncil.providers.base import ChatMessage, ImagePart
from llmcouncil.providers.image_wire import json_body


def best_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = os.urandom(int(args.mb * 1024 * 1024))
    image = ImagePart.of("image/png", data)
    pinned = ChatMessage("user", "d" * 50_000, images=(image,))
    question = ChatMessage("user", "What does the picture show?")

    def payload() -> dict[str, Any]:
        return {"model": "m", "messages": [pinned.as_wire(), question.as_wire()], "stream": True}

    figures = {
        "encode (once per image)": best_ms(lambda: ImagePart.of("image/png", data), args.runs),
        "body via json.dumps (per call)": best_ms(
            lambda: json.dumps(payload()).encode(), args.runs
        ),
        "body spliced (per call)": best_ms(lambda: json_body(payload()), args.runs),
    }
    print(f"image {args.mb:g} MB, URL {len(image.url):,} characters")
    for name, ms in figures.items():
        print(f"{name:32} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
