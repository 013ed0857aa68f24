"""`python -m llmcouncil.sim --port 8001 [--latency-ms 200] [--config sim.json]`.

Options layer in one order: the defaults, then the `--config` file, then the flags.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from llmcouncil.sim.config import SimConfig
from llmcouncil.sim.server import run_simulator


def build_config(args: argparse.Namespace) -> SimConfig:
    config = SimConfig()
    if args.config is not None:
        config = SimConfig.model_validate_json(Path(args.config).read_text(encoding="utf-8"))
    if args.latency_ms is not None:
        config = config.with_latency_ms(args.latency_ms)
    if args.seed is not None:
        config = config.model_copy(update={"seed": args.seed})
    if args.strict_models:
        config = config.model_copy(update={"strict_models": True})
    if args.no_capture:
        config = config.model_copy(update={"capture": False})
    return config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m llmcouncil.sim",
        description="Run the simulated OpenAI-compatible upstream.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--config", type=Path, help="a SimConfig JSON file")
    parser.add_argument("--latency-ms", type=float, help="base latency of every model")
    parser.add_argument("--seed", type=int, help="seed of latency jitter and fault draws")
    parser.add_argument("--strict-models", action="store_true", help="404 unknown model ids")
    parser.add_argument("--no-capture", action="store_true", help="do not record requests")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        config = build_config(args)
    except (OSError, ValidationError) as exc:
        sys.stderr.write(f"invalid simulator config: {exc}\n")
        return 2
    try:
        run_simulator(host=args.host, port=args.port, config=config)
    except OSError as exc:
        # Most often the port is taken; say so without a traceback.
        sys.stderr.write(f"cannot serve on {args.host}:{args.port}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
