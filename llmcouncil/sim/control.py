"""The `/_sim/*` control API that tests, benchmarks and the demo use to steer the simulator.

GET    /_sim/config    the SimConfig in force (the same JSON that PUT accepts)
PUT    /_sim/config    replace it; fault budgets and the random sequence start afresh
POST   /_sim/reset     the config the server started with, and an empty capture
GET    /_sim/requests  {"requests": [CapturedRequest, ...], "count": n}, oldest first
DELETE /_sim/requests  {"cleared": n}
GET    /_sim/stats     call counters and the remaining `times` of each fault
POST   /_sim/hold      calls from now on wait (counted in flight) until released
POST   /_sim/release   serve the held calls and stop holding
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from llmcouncil.sim.completions import error_response
from llmcouncil.sim.config import SimConfig
from llmcouncil.sim.state import STATE_KEY


def add_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/config", get_config)
    app.router.add_put("/_sim/config", put_config)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/requests", get_requests)
    app.router.add_delete("/_sim/requests", delete_requests)
    app.router.add_get("/_sim/stats", get_stats)
    app.router.add_post("/_sim/hold", hold)
    app.router.add_post("/_sim/release", release)


def _config_json(config: SimConfig) -> dict[str, Any]:
    return config.model_dump(mode="json")


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(_config_json(request.app[STATE_KEY].config))


async def put_config(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        payload: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error_response(400, "The config is not valid JSON.")
    try:
        config = SimConfig.model_validate(payload)
    except ValidationError as exc:
        # Every problem at once: a person fixing a config file wants the whole list.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        return error_response(400, f"Invalid simulator config: {problems}")
    state.configure(config)
    return web.json_response(_config_json(config))


async def reset(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    state.reset()
    return web.json_response(_config_json(state.config))


async def get_requests(request: web.Request) -> web.Response:
    captured = request.app[STATE_KEY].requests
    return web.json_response(
        {"requests": [call.model_dump(mode="json") for call in captured], "count": len(captured)}
    )


async def delete_requests(request: web.Request) -> web.Response:
    return web.json_response({"cleared": request.app[STATE_KEY].clear_requests()})


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {**state.stats.as_json(), "fault_times_remaining": state.planner.remaining_times()}
    )


async def hold(request: web.Request) -> web.Response:
    request.app[STATE_KEY].hold()
    return web.json_response({"held": True})


async def release(request: web.Request) -> web.Response:
    request.app[STATE_KEY].release()
    return web.json_response({"held": False})
