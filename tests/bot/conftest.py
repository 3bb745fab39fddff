"""Fixtures for the channel tests: the Telegram Bot API stand-in, a core configured for it on
a real SQLite file, and the real TelegramChannel (python-telegram-bot) polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core, open_core
from bot.channels.telegram import TelegramChannel
from bot.config import Config, build_config
from tests.standin.bot_api import BotApiStandIn


def telegram_config(db_path: Path, api: BotApiStandIn, **telegram: Any) -> Config:
    return build_config(
        {
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
async def channel(tg_core: Core) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(tg_core)
    await channel.start()
    yield channel
    await channel.stop()
