"""Test databases with every migration applied, copied from one migrated once per test process.

Migrating an empty database costs 0.15–0.25 s on SQLite and 0.3–0.4 s on PostgreSQL, and most
tests start one; a copy costs under a millisecond (a SQLite file) or about 40 ms (PostgreSQL's
``CREATE DATABASE … TEMPLATE``), and the server's own ``upgrade`` at start-up then finds the
schema at its head (about 10–25 ms). The templates are built from this tree's migrations the
first time a process asks, so a test always sees the schema it would have migrated itself, and
removed when its test session ends. Tests of the migrations themselves take an empty database
(``blank_database_url``).
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from llmcouncil.store.database import create_engine, upgrade

T = TypeVar("T")
_lock = threading.Lock()
_templates: dict[str, str] = {}


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """``work`` on an event loop of its own, in a thread: callers may be inside a loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def migrated_sqlite(path: Path) -> str:
    """A migrated SQLite database at ``path`` (a copy of this process's template, unless one
    is there already): its URL."""
    with _lock:
        template = _templates.get("sqlite")
        if template is None:
            folder = Path(tempfile.mkdtemp(prefix="council-template-"))
            atexit.register(shutil.rmtree, folder, True)
            template = str(folder / "council.db")
            _run(lambda: _migrate(f"sqlite+aiosqlite:///{template}"))
            _templates["sqlite"] = template
    if not path.exists():  # asked again for the same place (a restart): the data stays
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


async def connect(server_url: str) -> Any:
    """An asyncpg connection to the database of ``server_url`` (a SQLAlchemy URL)."""
    import asyncpg  # type: ignore[import-untyped]

    url = make_url(server_url)
    return await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database,
    )


async def _execute(server_url: str, statement: str) -> None:
    connection = await connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _postgres_template(server_url: str) -> str:
    with _lock:
        name = _templates.get(server_url)
        if name is None:
            name = f"council_test_template_{uuid.uuid4().hex[:12]}"
            url = make_url(server_url).set(database=name).render_as_string(hide_password=False)

            async def build() -> None:
                await _execute(server_url, f'CREATE DATABASE "{name}"')
                await _migrate(url)

            _run(build)
            _templates[server_url] = name
    return name


def drop_templates() -> None:
    """Drop this process's PostgreSQL templates (at the end of its test session)."""
    with _lock:
        for server_url, name in list(_templates.items()):
            if server_url == "sqlite":
                continue
            statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            _run(lambda server_url=server_url, statement=statement: _execute(server_url, statement))
            del _templates[server_url]


async def create_postgres(server_url: str, *, migrated: bool = True) -> str:
    """A new database on the server of ``server_url``, migrated (a copy of this process's
    template) or empty: its URL."""
    name = f"council_test_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_postgres_template(server_url)}"' if migrated else ""
    await _execute(server_url, f'CREATE DATABASE "{name}"{template}')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    await _execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
