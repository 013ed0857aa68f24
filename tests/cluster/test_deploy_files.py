"""deploy/ says what the product does: every setting it sets exists, HAProxy accepts its
configuration, and the probes and commands it names are the server's."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from llmcouncil.config import Settings

pytestmark = pytest.mark.cluster

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _setting(name: str) -> Any:
    """The field ``COUNCIL_A__B`` names on Settings (its annotation), or fail."""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("COUNCIL_").lower().split("__")
    for depth, part in enumerate(parts):
        assert part in model.model_fields, f"{name}: no setting {'.'.join(parts[: depth + 1])}"
        annotation = model.model_fields[part].annotation
        if depth < len(parts) - 1:
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel), name
            model = annotation
    return annotation


def _council_keys(env: dict[str, Any]) -> list[str]:
    return [k for k in env if k.startswith("COUNCIL_")]


def test_the_compose_file_sets_only_settings_that_exist() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "app", "worker", "haproxy"} <= set(services)
    for name in ("migrate", "app", "worker"):
        env = services[name]["environment"]
        assert len(_council_keys(env)) >= 8, name
        for key in _council_keys(env):
            _setting(key)
    assert services["app"]["command"][:2] == ["council", "serve"]
    assert services["worker"]["command"] == ["council", "worker"]
    assert services["migrate"]["command"] == ["council", "db", "upgrade"]
    # The stop timeout leaves the drain its time, and uvicorn its 5 s for open connections.
    drain = float(services["app"]["environment"]["COUNCIL_INSTANCES__DRAIN"])
    assert float(services["app"]["stop_grace_period"].removesuffix("s")) >= drain + 5


def test_the_kubernetes_objects_set_only_settings_that_exist_and_probe_the_servers_paths() -> None:
    objects = {
        (o["kind"], o["metadata"]["name"]): o
        for o in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text())
        if o
    }
    config = objects[("ConfigMap", "llmcouncil")]["data"]
    for key in _council_keys(config):
        _setting(key)
    pod = objects[("Deployment", "llmcouncil")]["spec"]["template"]["spec"]
    (server,) = pod["containers"]
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["terminationGracePeriodSeconds"] >= float(config["COUNCIL_INSTANCES__DRAIN"]) + 5
    assert objects[("PodDisruptionBudget", "llmcouncil")]["spec"]["maxUnavailable"] == 1


def test_haproxy_accepts_the_shipped_configuration() -> None:
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = (DEPLOY / "haproxy.cfg").read_text()
    assert "uri /readyz" in text and "balance roundrobin" in text
