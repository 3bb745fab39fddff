"""Fixtures that build real parts: a temporary SQLite file, the shipped templates, the
dispatcher. Nothing of our own code is mocked."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Core, open_core
from bot.config import Config, build_config
from tests.postgres import postgres_url  # noqa: F401 (the session's PostgreSQL database)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hotline.db"


@pytest.fixture
def config(db_path: Path) -> Config:
    return build_config({"database": {"url": f"sqlite:///{db_path}"}}, env={})


@pytest.fixture
async def core(config: Config, clock: Clock) -> AsyncIterator[Core]:
    core = await open_core(config, clock=clock)
    yield core
    await core.close()


SHIFT_DAYS_ENV = "HOTLINE_TEST_CLOCK_SHIFT_DAYS"


def clock_shift() -> timedelta:
    """How far the tests' clock starts from its usual start: HOTLINE_TEST_CLOCK_SHIFT_DAYS
    (default 0), rounded to whole weeks so that it still starts on a Monday at 10:00 in Hà Nội
    (tests of office hours count from there). Running the suite with 365 (a year ahead: 364
    days) shows that no test depends on the date it runs on."""
    raw = os.environ.get(SHIFT_DAYS_ENV, "").strip() or "0"
    try:
        days = int(raw)
    except ValueError:
        problem = f"{SHIFT_DAYS_ENV}: {raw!r} is not a whole number of days"
        raise pytest.UsageError(problem) from None
    return timedelta(weeks=round(days / 7))


class Clock:
    """A clock tests move by hand: the store and the flows read the time only through it."""

    USUAL_START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội, a Monday

    def __init__(self) -> None:
        self.start = self.USUAL_START + clock_shift()  # tests date what they expect from it
        self.now = self.start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
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
    config = build_config(
        {"database": {"url": f"sqlite:///{db_path}"}, "staff": STAFF,
         "hotline": {"office_hours": "mon-fri 07:30-17:00"}},
        env={},
    )
    core = await open_core(config, clock=clock)
    yield core
    await core.close()
