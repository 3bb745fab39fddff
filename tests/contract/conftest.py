"""The store contract suite: every test here runs against every store implementation.

A new store (PostgreSQL next) joins by one more entry in `BUILDERS` and a builder function;
the tests themselves must not change. So they speak only through the port (flows.store):
no sqlite3, no reading tables, since another store keeps other tables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.store.sqlite import SqliteStore
from flows.store import Store
from tests.conftest import Clock


def sqlite_store(folder: Path, clock: Clock) -> Store:
    return SqliteStore(folder / "hotline.db", clock)


# name -> builder of a fresh, unopened store dated by the test clock. Add PostgreSQL here.
BUILDERS: dict[str, Callable[[Path, Clock], Store]] = {"sqlite": sqlite_store}


@pytest.fixture(params=["sqlite"], ids=lambda name: f"store={name}")
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[Store]:
    built = BUILDERS[request.param](tmp_path, clock)
    await built.open()
    yield built
    await built.close()
