"""How fast this machine is right now: a fixed piece of Python work, timed.

The VM the benchmark runs on drifts by a factor of two from one hour to the next (the same
server code spent 21 ms of CPU per S1 council at one hour and 41 ms at another), so a figure
means little without the speed it was measured at. The probe is the kind of work the server
does per council: JSON of a council-sized payload encoded and decoded, a few thousand small
dicts and strings built. It runs ``rounds`` times; the median is reported (a slow hour is
steady slowness, which a minimum would hide less well than a median shows it), in ms.

    python bench/machine_speed.py       # prints the probe's median, min and max
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

_ANSWER = "The council weighs each answer on its merits. " * 40


def _payload() -> dict[str, Any]:
    calls = [
        {
            "model": f"sim:model-{index}",
            "stage": 1 + index % 3,
            "text": _ANSWER,
            "usage": {"prompt_tokens": 812 + index, "completion_tokens": 403},
            "details": {"retries": 0, "hedged": False, "circuit": "closed"},
        }
        for index in range(11)
    ]
    return {"id": "run", "status": "completed", "calls": calls, "ranking": list(range(4))}


def _work() -> int:
    payload = _payload()
    total = 0
    for _ in range(20):
        decoded = json.loads(json.dumps(payload))
        total += len(decoded["calls"])
        words = {word: len(word) for word in decoded["calls"][0]["text"].split()}
        total += sum(words.values())
    return total


def probe(rounds: int = 30) -> dict[str, float]:
    """Milliseconds of the fixed work: median, min and max over ``rounds``."""
    _work()  # warm-up
    times: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        _work()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "probe_ms_median": round(statistics.median(times), 2),
        "probe_ms_min": round(min(times), 2),
        "probe_ms_max": round(max(times), 2),
    }


if __name__ == "__main__":
    print(json.dumps(probe(), indent=1))
