"""The benchmark scenarios of docs/PERFORMANCE.md: S1–S5 and streaming.

Each scenario starts its own simulator and server processes (``harness.running_stack``), warms
up, measures, and returns a flat dict of figures. ``quick`` shrinks the sizes for development.
"""

from __future__ import annotations

import time
from typing import Any

from floor import upstream_floor
from harness import CHAIRMAN, MEMBERS, running_stack
from load import drive, percentile, summary
from storm import error_storm

from llmcouncil.sim import FaultSpec, LatencyProfile, SimConfig

# Room for S2's 800 simultaneous calls; the defaults (1024 / 512) are sized for one upstream of
# a real deployment, where 200 councils at once would be rate limited long before this.
WIDE_CAPACITY = {
    "max_inflight_calls": 4096,
    "max_inflight_per_upstream": 4096,
    "max_active_runs": 1024,
    "max_queued_runs": 1024,
}
FALLBACK = "meta-llama/llama-3.3-70b-instruct"
CHAIR_FALLBACK = "mistralai/mistral-large"
SECOND_FALLBACK = "deepseek/deepseek-chat"


def fixed(base_ms: float, *, first_token_ms: float | None = None, **extra: Any) -> SimConfig:
    profile = LatencyProfile(base_ms=base_ms, jitter_ms=0, first_token_ms=first_token_ms, **extra)
    return SimConfig(seed=7, latency={"*": profile}, capture=False)


async def s1_single(*, quick: bool) -> dict[str, Any]:
    """One council at a time, every call 200 ms: what the server adds to the 600 ms path."""
    runs = 10 if quick else 40
    async with running_stack(fixed(200), resilience={"capacity": WIDE_CAPACITY}) as stack:
        await drive(stack.server_url, total=3, concurrency=1)
        cpu_before = stack.server.cpu_seconds()
        outcomes, elapsed = await drive(stack.server_url, total=runs, concurrency=1)
        cpu = (stack.server.cpu_seconds() - cpu_before) / runs
        rss = stack.server.rss_peak_mb()
        floor = await upstream_floor(f"{stack.sim_root}/v1", councils=runs)
    figures = summary(outcomes, elapsed)
    walls = [o.wall for o in outcomes]
    overhead = percentile(walls, 0.5) - 0.6
    floor_overhead = percentile(floor, 0.5) - 0.6
    figures.update(
        critical_path_s=0.6,
        overhead_p50_ms=round(overhead * 1000, 1),
        overhead_min_ms=round((min(walls) - 0.6) * 1000, 1),
        # The same ten calls straight from this process (bench/floor.py): the simulator's,
        # loopback's and an HTTP client's share of the overhead; the rest is the server's.
        floor_overhead_p50_ms=round(floor_overhead * 1000, 1),
        server_share_p50_ms=round((overhead - floor_overhead) * 1000, 1),
        server_cpu_ms_per_council=round(cpu * 1000, 1),
        peak_rss_mb=round(rss, 1),
    )
    return figures


async def s2_throughput(*, quick: bool) -> dict[str, Any]:
    """200 councils at once, every call 2 s, 600 councils."""
    total, concurrency = (200, 100) if quick else (600, 200)
    async with running_stack(fixed(2000), resilience={"capacity": WIDE_CAPACITY}) as stack:
        await drive(stack.server_url, total=4, concurrency=4)
        cpu_before, sim_before = stack.server.cpu_seconds(), stack.sim.cpu_seconds()
        client_before = time.process_time()
        outcomes, elapsed = await drive(stack.server_url, total=total, concurrency=concurrency)
        cpu = stack.server.cpu_seconds() - cpu_before
        sim_cpu = stack.sim.cpu_seconds() - sim_before
        client_cpu = time.process_time() - client_before
        rss = stack.server.rss_peak_mb()
    figures = summary(outcomes, elapsed)
    figures.update(
        concurrency=concurrency,
        server_cpu_share=round(cpu / elapsed, 2),
        sim_cpu_share=round(sim_cpu / elapsed, 2),
        client_cpu_share=round(client_cpu / elapsed, 2),
        server_cpu_ms_per_council=round(cpu / total * 1000, 1),
        peak_rss_mb=round(rss, 1),
    )
    return figures


S3_CALL_MS = 500
S3_TAIL = {"tail_probability": 0.1, "tail_multiplier": 10}


def s3_policy(on: bool, *, hedges: int = 2) -> dict[str, Any]:
    return {
        "capacity": WIDE_CAPACITY,
        "stragglers": {"enabled": on, "grace_factor": 1.0, "grace_min": 0.25, "grace_max": 5},
        # 10 % of calls are slow, so the p95 of first-token times is itself a slow call:
        # hedging must look below the share of fast calls to catch the slow ones. With one
        # hedge a call is still slow when both draws are (1 %); a council has several calls
        # in series (and waits for its title), so the policy uses two.
        "hedging": {
            "enabled": on and hedges > 0,
            "min_samples": 10,
            "percentile": 0.85,
            "max_hedges": max(1, hedges),
        },
    }


async def _s3_run(sim: SimConfig, resilience: dict[str, Any], *, quick: bool) -> dict[str, Any]:
    total = 100 if quick else 200
    preset = {"fallbacks": {m: [FALLBACK] for m in MEMBERS}, "chairman_fallbacks": [CHAIR_FALLBACK]}
    async with running_stack(sim, resilience=resilience, preset=preset) as stack:
        await drive(stack.server_url, total=40, concurrency=20)  # latency history for hedging
        outcomes, elapsed = await drive(stack.server_url, total=total, concurrency=20)
    return summary(outcomes, elapsed)


async def s3_stragglers(*, quick: bool) -> dict[str, Any]:
    """20 at once, calls 500 ms, 10 % of calls 10× slower: with and without the policy."""
    steady = fixed(S3_CALL_MS)
    tail = fixed(S3_CALL_MS, **S3_TAIL)
    baseline = await _s3_run(steady, s3_policy(False), quick=quick)
    off = await _s3_run(tail, s3_policy(False), quick=quick)
    quorum_only = await _s3_run(tail, s3_policy(True, hedges=0), quick=quick)
    one_hedge = await _s3_run(tail, s3_policy(True, hedges=1), quick=quick)
    on = await _s3_run(tail, s3_policy(True), quick=quick)
    return {
        "baseline_no_slow_calls": baseline,
        "slow_calls_policy_off": off,
        "slow_calls_quorum_only": quorum_only,
        "slow_calls_quorum_one_hedge": one_hedge,
        "slow_calls_policy_on": on,
        "ratio_on_to_baseline_p99": round(on["p99_s"] / baseline["p99_s"], 2),
        "ratio_off_to_baseline_p99": round(off["p99_s"] / baseline["p99_s"], 2),
    }


async def s4_faults(*, quick: bool) -> dict[str, Any]:
    """10 % 5xx, 5 % 429, one member hung: how many councils complete, and lose nothing."""
    total = 100 if quick else 300
    errors = [
        FaultSpec(status=503, probability=0.10),
        # Drawn after the 5xx: 0.05 / 0.9 of the rest is 5 % of all calls.
        FaultSpec(status=429, probability=0.05 / 0.9, retry_after_s=0.5),
    ]
    sim = fixed(500).model_copy(
        update={"faults": {"*": errors, "x-ai/grok-4": [FaultSpec(hang=True)]}}
    )
    resilience = {
        "capacity": WIDE_CAPACITY,
        # A hung call is noticed by its first-token timeout; the grace period is long enough
        # for its fallback to answer within it, so the member's answer is not lost.
        "models": {m: {"first_token_timeout": 1.5} for m in [*MEMBERS, FALLBACK, SECOND_FALLBACK]},
        "stragglers": {"grace_min": 3.0, "grace_max": 10.0},
        "breaker": {"consecutive_failures": 5, "cooldown": 30},
    }
    # Two fallbacks per member: with one, a member is lost whenever its fallback fails all three
    # attempts (0.15³ per call, about 0.7 % of councils here).
    chain = [FALLBACK, SECOND_FALLBACK]
    preset = {"fallbacks": dict.fromkeys(MEMBERS, chain), "chairman_fallbacks": [CHAIR_FALLBACK]}
    async with running_stack(sim, resilience=resilience, preset=preset) as stack:
        outcomes, elapsed = await drive(stack.server_url, total=total, concurrency=20)
    figures = summary(outcomes, elapsed)
    figures["hung_member"] = "x-ai/grok-4"
    return figures


async def s5_storm(*, quick: bool) -> dict[str, Any]:
    """30 % 5xx + 20 % 429 on every model, one fallback per role: councils with a chairman's
    answer, calls refused by breakers, retries (bench/storm.py)."""
    return await error_storm(
        quick=quick, capacity=WIDE_CAPACITY, fallback=FALLBACK, chairman_fallback=CHAIR_FALLBACK
    )


async def streaming(*, quick: bool) -> dict[str, Any]:
    """Time from POST to the first model_delta against the fastest member's first token."""
    runs = 10 if quick else 25
    fastest_ms = 150.0
    first_tokens = dict(zip(MEMBERS, (fastest_ms, 250.0, 350.0, 450.0), strict=True))
    latency = {
        m: LatencyProfile(base_ms=600, jitter_ms=0, first_token_ms=ft)
        for m, ft in first_tokens.items()
    }
    latency["*"] = LatencyProfile(base_ms=600, jitter_ms=0)
    sim = SimConfig(seed=7, latency=latency, capture=False)
    async with running_stack(sim, resilience={"capacity": WIDE_CAPACITY}) as stack:
        await drive(stack.server_url, total=2, concurrency=1, streamed=True)
        outcomes, elapsed = await drive(stack.server_url, total=runs, concurrency=1, streamed=True)
    firsts = [o.first_delta for o in outcomes if o.first_delta is not None]
    gaps = [(f * 1000) - fastest_ms for f in firsts]
    figures = summary(outcomes, elapsed)
    figures.update(
        fastest_first_token_ms=fastest_ms,
        first_delta_p50_ms=round(percentile([f * 1000 for f in firsts], 0.5), 1),
        gap_p50_ms=round(percentile(gaps, 0.5), 1),
        gap_p99_ms=round(percentile(gaps, 0.99), 1),
        chairman=CHAIRMAN,
    )
    return figures


SCENARIOS = {
    "s1": s1_single,
    "s2": s2_throughput,
    "s3": s3_stragglers,
    "s4": s4_faults,
    "s5": s5_storm,
    "stream": streaming,
}


async def run_scenario(name: str, *, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    figures = await SCENARIOS[name](quick=quick)
    figures["scenario_seconds"] = round(time.perf_counter() - started, 1)
    return figures
