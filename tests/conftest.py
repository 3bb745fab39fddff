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
