"""Fixtures that build real parts: a temporary SQLite file, the shipped templates, the
dispatcher. Nothing of our own code is mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Core, open_core
from bot.config import Config, build_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hotline.db"


@pytest.fixture
def config(db_path: Path) -> Config:
    return build_config({"database": {"url": f"sqlite:///{db_path}"}}, env={})


@pytest.fixture
async def core(config: Config) -> AsyncIterator[Core]:
    core = await open_core(config)
    yield core
    await core.close()


class Clock:
    """A clock tests move by hand: flows read the time only through Services.clock."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, a Monday

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


STAFF = {
    "counsellors": [{"id": 5001, "name": "Chị Hoa"}, {"id": 5002, "name": "Anh Nam"}],
    "supervisors": [{"id": 6001, "name": "Cô Lan"}],
    "on_call": [5002],
}


@pytest.fixture
async def desk_core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    """A core with staff configured and a hand-moved clock."""
    from dataclasses import replace

    from bot.app import Core
    from flows.counsellor import StaffDesk
    from flows.dispatch import Dispatcher
    from flows.watch import CaseWatch

    config = build_config(
        {"database": {"url": f"sqlite:///{db_path}"}, "staff": STAFF,
         "hotline": {"office_hours": "mon-fri 07:30-17:00"}},
        env={},
    )
    base = await open_core(config)
    services = replace(base.services, clock=clock)
    core = Core(config, base.store, services, Dispatcher(base.store, services),
                StaffDesk(base.store, services), CaseWatch(base.store, services))
    yield core
    await core.close()
