"""Fixtures for the channel tests: the Telegram Bot API stand-in, a core configured for it on
a real SQLite file, and the hotline bot/app.py builds on it: the real TelegramChannel
(python-telegram-bot) polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import assemble, open_core
from bot.config import Config, build_config
from bot.core import Core
from bot.hotline import Hotline
from tests.standin.bot_api import BotApiStandIn


def telegram_config(db_path: Path, api: BotApiStandIn, *, web: dict[str, Any] | None = None,
                    **telegram: Any) -> Config:
    return build_config(
        {
            "web": web or {},
            "telegram": {
                "token": "123:ABC",
                "base_url": api.base_url,
                "base_file_url": api.base_file_url,
                "poll_timeout": 1,
                "rate_limit": False,
                **telegram,
            },
            "database": {"url": f"sqlite:///{db_path}"},
            "delivery": {"base_delay": 0.05, "max_attempts": 4},
        },
        env={},
    )


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as api:
        yield api


@pytest.fixture
async def tg_core(db_path: Path, bot_api: BotApiStandIn) -> AsyncIterator[Core]:
    core = await open_core(telegram_config(db_path, bot_api))
    yield core
    await core.close()


@pytest.fixture
async def channel(tg_core: Core) -> AsyncIterator[Hotline]:
    hotline = assemble(tg_core)
    await hotline.start()
    yield hotline
    await hotline.stop()
