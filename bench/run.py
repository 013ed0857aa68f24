"""``make bench``: run the benchmark scenarios and print the table of docs/PERFORMANCE.md.

    python bench/run.py                 # every scenario, full size (a few minutes)
    python bench/run.py --quick s1 s3   # some scenarios, small sizes, for development

The simulator and the server run as separate processes on loopback; results are also written
as JSON to bench/results/ (ignored by git).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from machine_speed import probe
from scenarios import SCENARIOS, run_scenario

RESULTS = Path(__file__).resolve().parent / "results"


def _row(name: str, measured: str, target: str, prototype: str = "") -> str:
    return f"| {name} | {measured} | {target} | {prototype} |"


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = ["| scenario | measured | target | prototype |", "|---|---|---|---|"]
    if "s1" in results:
        r = results["s1"]
        rows.append(
            _row(
                "S1 single council, calls 200 ms",
                f"p50 {r['p50_s']} s, overhead p50 {r['overhead_p50_ms']} ms "
                f"(min {r['overhead_min_ms']} ms; upstream floor {r['floor_overhead_p50_ms']} "
                f"ms, the server's share {r['server_share_p50_ms']} ms), server CPU "
                f"{r['server_cpu_ms_per_council']} ms/council, RSS {r['peak_rss_mb']} MB",
                "overhead ≤ 15 ms",
                "0.83 s (overhead 230 ms)",
            )
        )
    if "s2" in results:
        r = results["s2"]
        rows.append(
            _row(
                f"S2 {r['concurrency']} concurrent, calls 2 s, {r['councils']} councils",
                f"{r['councils_per_s']} councils/s, p50 {r['p50_s']} s, p99 {r['p99_s']} s, "
                f"errors {r['errors']}, peak RSS {r['peak_rss_mb']} MB",
                "≥ 25/s, p99 ≤ 8 s",
                "4.4/s, p50 37 s, p99 85 s",
            )
        )
    if "s3" in results:
        r = results["s3"]
        base, off = r["baseline_no_slow_calls"], r["slow_calls_policy_off"]
        quorum, on = r["slow_calls_quorum_only"], r["slow_calls_policy_on"]
        one = r["slow_calls_quorum_one_hedge"]
        rows.append(
            _row(
                "S3 20 concurrent, 500 ms, 10 % of calls 10× slower",
                f"p99: no slow calls {base['p99_s']} s; policy off {off['p99_s']} s "
                f"(×{r['ratio_off_to_baseline_p99']}); quorum+grace {quorum['p99_s']} s; "
                f"+1 hedge {one['p99_s']} s; +2 hedges (policy on) {on['p99_s']} s "
                f"(×{r['ratio_on_to_baseline_p99']})",
                "policy on ≤ 1.5 × no-slow p99",
                "",
            )
        )
    if "s4" in results:
        r = results["s4"]
        rows.append(
            _row(
                "S4 10 % 5xx, 5 % 429, one member hung",
                f"complete {r['complete_share']:.1%}, lost nothing {r['lossless_share']:.1%}, "
                f"p50 {r['p50_s']} s, p99 {r['p99_s']} s",
                "complete 100 %",
                "",
            )
        )
    if "s5" in results:
        r = results["s5"]
        rows.append(
            _row(
                f"S5 error storm: {r['faults']} on every model, one fallback per role",
                f"chairman's answer {r['chairman_answer_share']:.1%} of {r['councils']}, "
                f"refused by breakers {r['refused_by_breakers']}, retries {r['retries']}, "
                f"p50 {r['p50_s']} s, p99 {r['p99_s']} s",
                "chairman's answer ≥ 95 %",
                "45 of 48 degraded, 201 refused",
            )
        )
    if "stream" in results:
        r = results["stream"]
        rows.append(
            _row(
                "Streaming: POST → first model_delta",
                f"p50 {r['first_delta_p50_ms']} ms vs fastest first token "
                f"{r['fastest_first_token_ms']} ms: gap p50 {r['gap_p50_ms']} ms, "
                f"p99 {r['gap_p99_ms']} ms",
                "≈ fastest first token",
                "",
            )
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], default=[])
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--out", type=Path, help="write the JSON results here instead")
    args = parser.parse_args(argv)
    chosen = args.scenarios or list(SCENARIOS)
    results: dict[str, dict[str, Any]] = {}
    speed_before = probe()
    for name in chosen:
        print(f"running {name}{' (quick)' if args.quick else ''} …", flush=True)
        results[name] = asyncio.run(run_scenario(name, quick=args.quick))
        print(json.dumps(results[name], indent=1), flush=True)
    speed_after = probe()
    print()
    print(table(results))
    print(
        f"\nmachine speed probe (bench/machine_speed.py, lower is faster): median "
        f"{speed_before['probe_ms_median']} ms before the run, {speed_after['probe_ms_median']} "
        "ms after"
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or RESULTS / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    meta = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "quick": args.quick,
        "speed_before": speed_before,
        "speed_after": speed_after,
    }
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
