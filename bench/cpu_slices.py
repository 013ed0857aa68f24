"""A share of the CPU for one process tree: what a container's CPU limit gives an instance.

``bench/scale.py --cpu-per-instance 0.4`` starts each ``council serve`` in a cgroup of its own
whose CFS quota is 0.4 of one core per period — the mechanism behind Kubernetes' ``limits.cpu``
and ``docker run --cpus``. On a machine of few cores this separates the question "do instances
add up?" from "is there a core left for each?": one instance saturates its share, two get two
shares, and the simulator, the load generator, HAProxy, PostgreSQL and Redis keep the cores the
shares leave free.

The process joins its cgroup before it executes the server (a shell writes its own pid, then
``exec``), so every process it starts later (the document reader) is held too. cgroup v2
(``cpu.max``) and v1 (``cpu.cfs_quota_us``) are both handled; without a writable ``cpu``
controller (no root, a read-only ``/sys/fs/cgroup``) the slice refuses to start with the reason.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


class CpuSliceError(RuntimeError):
    pass


class CpuSlice:
    """A cgroup capped at ``cores`` of CPU (a fraction of one core, or several)."""

    def __init__(self, name: str, cores: float) -> None:
        if cores <= 0:
            raise CpuSliceError("a CPU slice needs more than 0 cores")
        self.cores = cores
        self.v2 = (ROOT / "cgroup.controllers").exists()
        parent = ROOT if self.v2 else ROOT / "cpu"
        self.path = parent / f"council-bench-{name}-{uuid.uuid4().hex[:6]}"
        quota = max(1000, round(cores * PERIOD_US))
        try:
            self.path.mkdir()
            if self.v2:
                (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            else:
                (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        except OSError as exc:
            self.close()
            raise CpuSliceError(
                f"cannot make a cgroup with a CPU quota under {parent}: {exc} (it needs root and "
                "a writable cpu controller)"
            ) from exc

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the slice: the shell joins it, then becomes ``argv``."""
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs), *argv]

    def throttled(self) -> tuple[int, float]:
        """(periods in which the quota ran out, seconds held back): a saturated slice's count
        grows in most periods."""
        stats = dict(
            line.split(" ", 1) for line in (self.path / "cpu.stat").read_text().splitlines()
        )
        if self.v2:
            return int(stats.get("nr_throttled", 0)), int(stats.get("throttled_usec", 0)) / 1e6
        return int(stats.get("nr_throttled", 0)), int(stats.get("throttled_time", 0)) / 1e9

    def close(self) -> None:
        """Remove the cgroup once its processes have ended (they are stopped first)."""
        if self.path.exists():
            try:
                os.rmdir(self.path)
            except OSError:
                pass  # a process still inside: the kernel keeps it until that ends
