"""The store contract suite: every test here runs against every store implementation.

A store joins by one more entry in `BUILDERS` and a builder function; the tests themselves
must not change. So they speak only through the port (flows.store):
no sqlite3, no reading tables, since another store keeps other tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import psycopg
import pytest

from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore
from flows.store import Store
from tests.conftest import Clock
from tests.postgres import empty_tables


def sqlite_store(request: pytest.FixtureRequest, clock: Clock, instance: str) -> Store:
    folder: Path = request.getfixturevalue("tmp_path")
    return SqliteStore(folder / "hotline.db", clock, instance=instance)


def postgres_store(request: pytest.FixtureRequest, clock: Clock, instance: str) -> Store:
    return PostgresStore(request.getfixturevalue("postgres_url"), clock, instance=instance)


# name -> builder of an unopened store dated by the test clock; two built in one test with
# different instance names are two instances on one database.
BUILDERS: dict[str, Callable[[pytest.FixtureRequest, Clock, str], Store]] = {
    "sqlite": sqlite_store,
    "postgres": postgres_store,
}


async def sqlite_dies(store: Store) -> None:
    """A process on SQLite stops writing and leaves its leases behind: they run out by the
    clock."""
    await store.close()


async def postgres_dies(store: Store) -> None:
    """A process on PostgreSQL dies: the server drops its sessions, and what they held."""
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url, autocommit=True) as conn:
        # With a timeout, it returns once the sessions are gone (and their locks with them).
        conn.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                     " WHERE application_name = %s AND pid != pg_backend_pid()",
                     (store.session_name,))


# name -> what the death of an instance's process does to its open store (the store object
# stays, as a late, dying call of the dead process would find it).
DEATHS: dict[str, Callable[[Store], Awaitable[None]]] = {
    "sqlite": sqlite_dies,
    "postgres": postgres_dies,
}


@pytest.fixture(params=sorted(BUILDERS), ids=lambda name: f"store={name}")
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        empty_tables(request.getfixturevalue("postgres_url"))
    return str(request.param)


@pytest.fixture
async def store(
    request: pytest.FixtureRequest, store_kind: str, clock: Clock
) -> AsyncIterator[Store]:
    built = BUILDERS[store_kind](request, clock, "one")
    await built.open()
    yield built
    await built.close()
