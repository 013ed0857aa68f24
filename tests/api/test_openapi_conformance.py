"""The server answers as its own OpenAPI schema says: schemathesis against the real app.

A bounded, reproducible pass (``derandomize``: the same cases every run) over every operation,
on SQLite and PostgreSQL, in users mode with an administrator's API key so the guarded routes
run their code, with half the cases aimed at a real conversation so they get past the 404.
Checks: no 5xx; every status code, content type and body is one the schema documents.

Schemathesis makes blocking calls (requests), so the server (the simulated upstream and the app
under uvicorn) runs on an event loop of its own, in a thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from cryptography.fernet import Fernet
from gov_support import FAST_HASH, TEST_ACTOR
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from support import CHAIRMAN, MEMBERS, TEST_KEY_ENV, free_port

from llmcouncil.api.app import create_app
from llmcouncil.config import ProviderSettings, Settings
from llmcouncil.presets.settings import PresetSettings
from llmcouncil.sim import SimConfig, SimServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8  # x 43 operations: about 350 cases per database
PASSWORD = "a long enough password"


@dataclass
class Served:
    base_url: str
    key: str
    conversation_id: str


class ServerThread:
    """The simulated upstream and the app, on their own event loop in a thread."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.ready = threading.Event()
        self.served: Served | None = None
        self.error: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Served:
        self._thread.start()
        if not self.ready.wait(120) or self.served is None:
            raise RuntimeError(f"the server did not start: {self.error!r}")
        return self.served

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start()
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        sim = SimServer(SimConfig.fast(base_ms=5))
        await sim.start(host="127.0.0.1", port=0)
        try:
            app = create_app(self._settings(sim))
            port = free_port()
            config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
            self._server = uvicorn.Server(config)
            task = asyncio.create_task(self._server.serve())
            while not self._server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
            self.served = await self._provision(app, f"http://127.0.0.1:{port}")
            self.ready.set()
            await task
        finally:
            await sim.stop()

    def _settings(self, sim: SimServer) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "default_provider": "sim",
            "providers": {
                "sim": ProviderSettings(
                    base_url=sim.base_url, api_key_env=TEST_KEY_ENV, structured_output=True
                )
            },
            "presets": {"default": PresetSettings(members=list(MEMBERS), chairman=CHAIRMAN)},
            "auth": {
                "mode": "users",
                "password_hash": FAST_HASH,
                "login_attempts_per_minute": 10**6,
            },
            "usage": {"rate_limits": {"requests_per_minute": None, "runs_per_minute": None}},
        }
        if not self.database_url.startswith("sqlite"):
            values["privacy"] = {"key": Fernet.generate_key().decode()}
        return Settings.model_validate(values)

    async def _provision(self, app: Any, base_url: str) -> Served:
        governance = app.state.runtime.governance
        admin = await governance.accounts.create_user(
            username="root", role="admin", password=PASSWORD, actor=TEST_ACTOR
        )
        issued = await governance.auth.create_key(
            admin,
            name="conformance",
            scopes=["conversations", "keys", "usage", "audit", "admin"],
            expires_in_days=None,
            actor=TEST_ACTOR,
        )
        row = await app.state.runtime.store.create_conversation(
            preset=None, members=None, chairman=None, user_id=admin.id
        )
        return Served(base_url=base_url, key=str(issued.secret), conversation_id=row.id)


@pytest.fixture
def served(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv(TEST_KEY_ENV, "sk-test-not-a-real-key")
    server = ServerThread(database_url)
    try:
        yield server.start()
    finally:
        server.stop()


# A bound on a hang, not on speed: about 15 s per database on an idle machine.
@pytest.mark.timeout(600)
def test_the_server_answers_as_its_openapi_schema_says(served: Served) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {served.key}"
    raw = session.get(f"{served.base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        failure = _exercise(operation, served, session)
        if failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert operations > 40
    assert not failures, "\n\n".join(failures)


def _exercise(operation: Any, served: Served, session: requests.Session) -> str | None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real=st.booleans())
    def check(case: Any, real: bool) -> None:
        if real and "conversation_id" in (case.path_parameters or {}):
            case.path_parameters["conversation_id"] = served.conversation_id
        response = case.call(base_url=served.base_url, session=session, timeout=60)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # the report: request, response, failure
        return str(exc)[:3000]
    return None
