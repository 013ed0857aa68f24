"""Where the server's time goes: py-spy samples of the server process, by component.

    python bench/where_time_goes.py [--councils 40] [--latency-ms 200] [--concurrency 1]

py-spy (``pip install py-spy``) samples only threads holding the GIL (``--gil``), so waiting
for the simulated upstream (in epoll, outside the GIL) and the idle aiosqlite thread do not
count. Each sample is charged to the first component found walking from the innermost frame
outwards (a ``json.loads`` called by the provider adapter is the provider's). Prints CPU
milliseconds per council for each component; the raw samples land in bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from harness import running_stack
from load import drive
from scenarios import WIDE_CAPACITY, fixed

RESULTS = Path(__file__).resolve().parent / "results"

# (component, path fragments), checked in this order for each frame from the leaf outwards.
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("store: SQLAlchemy + aiosqlite", ("sqlalchemy/", "aiosqlite/", "llmcouncil/store/")),
    ("privacy (PII scan)", ("llmcouncil/privacy/", "presidio", "spacy/", "thinc/")),
    ("resilience layer", ("llmcouncil/resilience/", "stamina/", "tenacity/")),
    ("upstream client: aiohttp + SSE parsing", ("llmcouncil/providers/", "aiohttp/")),
    ("events + SSE", ("llmcouncil/council/events.py", "llmcouncil/api/sse.py")),
    ("council: prompts, ranking, stages", ("llmcouncil/council/",)),
    ("other llmcouncil (audit, usage, auth, logging)", ("llmcouncil/",)),
    ("HTTP server: uvicorn + FastAPI", ("uvicorn/", "starlette/", "fastapi/", "httptools")),
    ("pydantic", ("pydantic",)),
    ("logging", ("logging/", "structlog/")),
    ("event loop", ("asyncio/", "uvloop/")),
]


def classify(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, fragments in COMPONENTS:
            if any(fragment in frame for fragment in fragments):
                return name
    return "other (interpreter, GC, stdlib)"


async def profile(councils: int, latency_ms: float, concurrency: int, rate: int) -> str:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "profile-raw.txt"
    async with running_stack(fixed(latency_ms), resilience={"capacity": WIDE_CAPACITY}) as stack:
        await drive(stack.server_url, total=3, concurrency=1)
        sampler = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(stack.server.popen.pid),
                "--format",
                "raw",
                "--gil",
                "--nonblocking",  # sample without pausing the server (pausing slowed it 10×)
                "--rate",
                str(rate),
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)  # py-spy attaches
        outcomes, elapsed = await drive(stack.server_url, total=councils, concurrency=concurrency)
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=30)
        samples: Counter[str] = Counter()
        for line in out.read_text().splitlines():
            stack_text, _, count = line.rpartition(" ")
            if stack_text:
                samples[classify(stack_text)] += int(count)
    per_council = {name: n / rate * 1000 / councils for name, n in samples.items()}
    total = sum(per_council.values())
    lines = [
        f"{councils} councils, {concurrency} at a time, calls {latency_ms:g} ms, "
        f"{elapsed:.1f} s; server on-CPU {total:.1f} ms per council",
        "",
        "| component | CPU ms per council | share |",
        "|---|---|---|",
    ]
    for name, ms in sorted(per_council.items(), key=lambda item: -item[1]):
        lines.append(f"| {name} | {ms:.1f} | {ms / total:.0%} |")
    lines.append(f"\nraw samples: {out}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rate", type=int, default=997, help="samples per second")
    args = parser.parse_args()
    print(asyncio.run(profile(args.councils, args.latency_ms, args.concurrency, args.rate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
