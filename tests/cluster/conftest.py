"""One cluster for the module (starting four processes costs more than the checks), put back
into its starting state before each test: every server running and in HAProxy's rotation, a
worker running, the simulated upstream without faults and with nothing captured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from cluster_support import Cluster, create_database, drop_database

from llmcouncil.sim import SimConfig, SimServer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster_sim() -> AsyncIterator[SimServer]:
    server = SimServer(SimConfig.fast(base_ms=20))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running_cluster(
    cluster_sim: SimServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    root: Path = tmp_path_factory.mktemp("cluster")
    database_url = await create_database()
    cluster = Cluster(root=root, sim=cluster_sim, database_url=database_url)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()
        await drop_database(database_url)


@pytest_asyncio.fixture(loop_scope="module")
async def cluster(running_cluster: Cluster) -> Cluster:
    sim = running_cluster.sim
    sim.configure(sim.config.model_copy(update={"faults": {}}))
    await running_cluster.restore()
    sim.clear_requests()
    return running_cluster
