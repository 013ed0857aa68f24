"""The simulated upstream: an OpenAI-compatible HTTP server with scripted latency and faults.

Used by demo mode (in-process, on the app's loop), by the tests and by the benchmarks (as a
separate process: `python -m llmcouncil.sim --port 8001`).
"""

from llmcouncil.sim.config import FaultSpec, LatencyProfile, SimConfig
from llmcouncil.sim.server import SimServer, run_simulator
from llmcouncil.sim.state import CapturedRequest

__all__ = [
    "CapturedRequest",
    "FaultSpec",
    "LatencyProfile",
    "SimConfig",
    "SimServer",
    "run_simulator",
]
