"""How ``council serve`` configures uvicorn: an idle connection is kept longer than the
balancer in front keeps its own, so the balancer, never the server, closes it (a server
closing first races the balancer's reuse of it, and the request sent on it is lost: seen as
ServerDisconnectedError behind HAProxy in bench/scale.py)."""

from __future__ import annotations

import re
from pathlib import Path

from llmcouncil.cli.setup import uvicorn_config
from llmcouncil.config import Settings

HAPROXY_CFG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()  # type: ignore[union-attr]
    return float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 0.001}[unit]


def test_the_server_keeps_idle_connections_longer_than_the_balancer() -> None:
    config = uvicorn_config(object(), Settings())
    assert config.timeout_keep_alive == Settings().keep_alive == 75
    timeouts = dict(
        re.findall(r"^\s*timeout (http-keep-alive|server-fin) (\S+)", HAPROXY_CFG.read_text(), re.M)
    )
    assert config.timeout_keep_alive > _seconds(timeouts["http-keep-alive"])
    assert config.timeout_keep_alive > 60  # nginx's keepalive_timeout default, cloud balancers'


def test_the_keep_alive_is_configurable() -> None:
    config = uvicorn_config(object(), Settings(keep_alive=120, port=9000))
    assert (config.timeout_keep_alive, config.port) == (120, 9000)
