"""Timestamps for ``bench/timeline.py``, loaded by Python at start-up through ``PYTHONPATH``.

Active only when ``LLMCOUNCIL_TIMELINE_DIR`` is set (not a ``COUNCIL_`` variable: the benchmark's
harness keeps those from the server), and only in ``council serve`` and the
simulator (``python -m llmcouncil.sim``): wraps the functions listed below as their modules are
imported and appends ``<perf_counter_ns> <label>`` lines (``label>`` on entry, ``label<`` on
exit) to a file per process. ``perf_counter`` is ``CLOCK_MONOTONIC`` on Linux, shared by every
process, so the benchmark's own stamps line up with the server's and the simulator's.
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import importlib.util
import inspect
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

# (module, attribute path, label) per process role.
SERVER = [
    ("llmcouncil.store.transactions", "read", "db.read"),
    ("llmcouncil.store.transactions", "write", "db.write"),
    ("llmcouncil.store.transactions", "_in_transaction", "thread.write"),
    ("llmcouncil.store.transactions", "_in_connection", "thread.read"),
    ("llmcouncil.privacy.policy", "PrivacyGuard.protect", "pii"),
    ("llmcouncil.council.write_ahead", "write_ahead", "create"),
    ("llmcouncil.store.runs", "RunStore.start_run", "start_run"),
    ("llmcouncil.store.runs", "RunStore.record_stage", "record_stage"),
    ("llmcouncil.resilience.calls", "ModelCaller.call", "call"),
    ("llmcouncil.council.stages", "collect_answers", "stage1"),
    ("llmcouncil.council.stages", "collect_reviews", "stage2"),
    ("llmcouncil.council.stages", "synthesize", "stage3"),
    ("llmcouncil.providers.sse", "StreamState.feed_rest", "parse_rest"),
    ("llmcouncil.council.transcript", "result_payload", "payload"),
    ("fastapi.routing", "serialize_response", "serialize"),
    ("aiohttp.client_reqrep", "ClientRequest.write_bytes", "send"),
]
SIMULATOR = [
    ("llmcouncil.sim.arrival", "ArrivalStamp.data_received", "sim.bytes"),
    ("llmcouncil.sim.completions", "chat_completions", "sim.call"),
]


def _role() -> str | None:
    if not os.environ.get("LLMCOUNCIL_TIMELINE_DIR"):
        return None
    command = Path("/proc/self/cmdline").read_bytes().split(b"\0")
    if b"serve" in command:
        return "server"
    if b"llmcouncil.sim" in command:
        return "sim"
    return None


def _install(role: str) -> None:
    out = Path(os.environ["LLMCOUNCIL_TIMELINE_DIR"]) / f"{role}-{os.getpid()}.txt"
    sink = out.open("a", buffering=1 << 16, encoding="utf-8")
    atexit.register(sink.flush)
    clock = time.perf_counter_ns

    def mark(label: str) -> None:
        sink.write(f"{clock()} {label}\n")

    def wrapped(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                mark(label + ">")
                try:
                    return await fn(*args, **kwargs)
                finally:
                    mark(label + "<")

            return timed_async

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            mark(label + ">")
            try:
                return fn(*args, **kwargs)
            finally:
                mark(label + "<")

        return timed

    targets: dict[str, list[tuple[str, str]]] = {}
    for module, path, label in SERVER if role == "server" else SIMULATOR:
        targets.setdefault(module, []).append((path, label))

    specials = _http_patches(mark, role)
    for module_name in specials:
        targets.setdefault(module_name, [])

    def patch(module: ModuleType) -> None:
        for path, label in targets[module.__name__]:
            *parents, name = path.split(".")
            owner: Any = module
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, name, wrapped(getattr(owner, name), label))
        if module.__name__ in specials:
            specials[module.__name__](module)

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, _path: Any, _target: Any = None) -> Any:
            if name not in targets:
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            if spec is None or spec.loader is None:
                return spec
            execute = spec.loader.exec_module

            def exec_module(module: ModuleType) -> None:
                execute(module)
                patch(module)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, Hook())


def _http_patches(
    mark: Callable[[str], None], role: str
) -> dict[str, Callable[[ModuleType], None]]:
    """Stamps at the edges: the server's HTTP request in and answer out, its upstream requests,
    and the end of each simulated reply; applied as each module is imported."""

    def simulator_reply(module: ModuleType) -> None:
        write_eof = module.StreamResponse.write_eof

        async def stamped_eof(self: Any, data: bytes = b"") -> None:
            await write_eof(self, data)
            mark("sim.end")

        module.StreamResponse.write_eof = stamped_eof

    def server_http(module: ModuleType) -> None:
        call = module.FastAPI.__call__

        async def stamped(self: Any, scope: Any, receive: Any, send: Any) -> None:
            if scope.get("type") != "http" or not str(scope.get("path", "")).endswith("/message"):
                await call(self, scope, receive, send)
                return
            mark("http")

            async def sending(message: Any) -> None:
                await send(message)
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    mark("response_sent")

            await call(self, scope, receive, sending)

        module.FastAPI.__call__ = stamped

    def upstream_requests(module: ModuleType) -> None:
        request = module.ClientSession._request

        async def stamped_request(self: Any, *args: Any, **kwargs: Any) -> Any:
            mark("upstream_request")
            return await request(self, *args, **kwargs)

        module.ClientSession._request = stamped_request

    if role == "sim":
        return {"aiohttp.web_response": simulator_reply}
    return {"fastapi.applications": server_http, "aiohttp.client": upstream_requests}


_ROLE = _role()
if _ROLE is not None:
    _install(_ROLE)
