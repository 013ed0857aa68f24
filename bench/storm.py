"""S5, an error storm: 30 % of every model's calls answer 5xx and 20 % answer 429.

Each role has a fallback (members, the chairman; the title falls back to the chairman). With
three attempts per model the chairman's call fails only when both candidates fail three times,
so the share of councils with a chairman's answer says whether the breakers and the retry budget
let the retries do their work (a breaker opened by random errors refuses calls unsent and turns
a storm into degraded councils). The settings are the product's defaults but for room to run
the councils at once.

Figures: councils with a chairman's answer, calls refused by a breaker (the server's log: a
candidate skipped because its circuit was open), retries made (the server's ``/metrics``),
p50/p99 of a council.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from harness import MEMBERS, Stack, running_stack
from load import drive, summary

from llmcouncil.sim import FaultSpec, LatencyProfile, SimConfig

STORM_5XX = 0.30
STORM_429 = 0.20
_RETRIES = re.compile(r"^llmcouncil_retries_total\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)


def storm_faults() -> list[FaultSpec]:
    """30 % 5xx and 20 % 429 of all calls: the 429 is drawn after the 5xx, on the 70 % left."""
    return [
        FaultSpec(status=503, probability=STORM_5XX),
        FaultSpec(status=429, probability=STORM_429 / (1 - STORM_5XX), retry_after_s=1.0),
    ]


async def _retries_made(stack: Stack) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"{stack.server_url}/metrics") as r:
        text = await r.text()
    return int(sum(float(v) for v in _RETRIES.findall(text)))


def _refused_by_breakers(stack: Stack) -> int:
    log = stack.server.log.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in log.splitlines() if "circuit_open" in line and "failed" in line)


async def error_storm(
    *, quick: bool, capacity: dict[str, Any], fallback: str, chairman_fallback: str
) -> dict[str, Any]:
    total, concurrency = (24, 8) if quick else (48, 12)
    profile = LatencyProfile(base_ms=500, jitter_ms=100)
    sim = SimConfig(seed=11, latency={"*": profile}, faults={"*": storm_faults()}, capture=False)
    resilience = {"capacity": capacity}
    preset = {
        "fallbacks": dict.fromkeys(MEMBERS, [fallback]),
        "chairman_fallbacks": [chairman_fallback],
    }
    async with running_stack(sim, resilience=resilience, preset=preset) as stack:
        outcomes, elapsed = await drive(stack.server_url, total=total, concurrency=concurrency)
        retries = await _retries_made(stack)
        refused = _refused_by_breakers(stack)
    figures = summary(outcomes, elapsed)
    figures.update(
        concurrency=concurrency,
        chairman_answer_share=figures["complete_share"],
        refused_by_breakers=refused,
        retries=retries,
        faults=f"{STORM_5XX:.0%} 5xx + {STORM_429:.0%} 429",
    )
    return figures
