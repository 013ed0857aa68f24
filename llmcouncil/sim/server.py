"""`SimServer`, the simulated upstream as an object to start and stop on the current loop, and
`run_simulator`, the same thing as a blocking process for `council simulate` and benchmarks.

The server runs with handler cancellation on, so a client that disconnects (a timed-out hang, an
abandoned stream) frees its handler at once, and with a large listen backlog, so a benchmark's
thousand simultaneous connections are accepted rather than refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiohttp import web

from llmcouncil.sim.arrival import stamping
from llmcouncil.sim.clock import close_timer
from llmcouncil.sim.completions import chat_completions, list_models
from llmcouncil.sim.config import SimConfig
from llmcouncil.sim.control import add_control_routes
from llmcouncil.sim.state import STATE_KEY, CapturedRequest, SimState
from llmcouncil.sim.wire import SIMULATED_HEADER

logger = logging.getLogger(__name__)

LISTEN_BACKLOG = 2048
# Stopping waits this long for calls in flight, then cancels them: a demo or a test suite
# should not wait out a slow profile's streams on shutdown.
_SHUTDOWN_TIMEOUT_S = 1.0
# Chairman prompts carry every answer and every review; leave plenty of room.
_MAX_BODY_BYTES = 16 * 1024 * 1024


def build_app(state: SimState) -> web.Application:
    app = web.Application(client_max_size=_MAX_BODY_BYTES)
    app[STATE_KEY] = state
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/models", list_models)
    add_control_routes(app)
    # A signal rather than a middleware: it also reaches streams and aiohttp's own 404s.
    app.on_response_prepare.append(_mark_simulated)
    return app


async def _mark_simulated(_request: web.Request, response: web.StreamResponse) -> None:
    response.headers[SIMULATED_HEADER] = "true"


class SimServer:
    """The simulated upstream on a real loopback socket, in this process and event loop."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self._state = SimState(config or SimConfig())
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host:port` (0: a free port) and return the base URL, ending in `/v1`."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        self._state.closing = asyncio.Event()
        runner = web.AppRunner(
            build_app(self._state),
            handler_cancellation=True,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        try:
            if runner.server is None:
                raise RuntimeError("the simulator's aiohttp runner made no server")
            # Not a ``web.TCPSite``: each connection's protocol is wrapped to note when its
            # requests arrived (``arrival.py``).
            listener = await asyncio.get_running_loop().create_server(
                stamping(runner.server), host, port, backlog=LISTEN_BACKLOG
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._listener = listener
        self._host = host
        self._port = int(listener.sockets[0].getsockname()[1])
        logger.info("simulated upstream listening on %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        self._state.closing.set()
        self._state.release()  # held calls end with the shutdown rather than outlive it
        if self._listener is not None:
            self._listener.close()  # no new connections; the runner ends the open ones
        await runner.cleanup()
        if self._listener is not None:
            await self._listener.wait_closed()
            self._listener = None
        close_timer(asyncio.get_running_loop())

    async def __aenter__(self) -> Self:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator has not been started")
        return self._port

    @property
    def root_url(self) -> str:
        """The server root, where the `/_sim/*` control API lives."""
        host = self._host
        if host in {"", "0.0.0.0"}:
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. `http://127.0.0.1:43121/v1`."""
        return f"{self.root_url}/v1"

    @property
    def config(self) -> SimConfig:
        return self._state.config

    @property
    def requests(self) -> list[CapturedRequest]:
        """The captured chat calls, oldest first."""
        return self._state.requests

    def configure(self, config: SimConfig) -> None:
        """Replace the behaviour, like `PUT /_sim/config`."""
        self._state.configure(config)

    def reset(self) -> None:
        """The config the server was created with, and an empty capture, like `POST /_sim/reset`."""
        self._state.reset()

    def clear_requests(self) -> int:
        return self._state.clear_requests()

    def hold(self) -> None:
        """Calls from now on wait, counted in flight, until `release()`, like `POST /_sim/hold`."""
        self._state.hold()

    def release(self) -> None:
        """Serve the held calls and stop holding, like `POST /_sim/release`."""
        self._state.release()

    async def wait_for_requests(self, condition: Callable[[list[CapturedRequest]], bool]) -> None:
        """Return once the captured chat calls (oldest first) satisfy ``condition``: a test
        waits for what reached the upstream instead of polling for it."""
        await self._state.wait_for_requests(condition)

    async def wait_for_in_flight(self, count: int) -> None:
        """Return once at least `count` calls are in flight at the same time."""
        await self._state.wait_for_in_flight(count)

    async def wait_until_idle(self) -> None:
        """Return once no call is in flight."""
        await self._state.wait_until_idle()


def run_simulator(*, host: str, port: int, config: SimConfig | None = None) -> None:
    """Serve until SIGINT or SIGTERM; blocks the calling thread."""
    asyncio.run(_serve_until_signalled(host=host, port=port, config=config))


async def _serve_until_signalled(*, host: str, port: int, config: SimConfig | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available on Windows; Ctrl-C then ends the process through KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    server = SimServer(config)
    await server.start(host=host, port=port)
    try:
        await stop.wait()
    finally:
        await server.stop()
