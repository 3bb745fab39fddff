"""Fixtures for tests that run the real python-telegram-bot against the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from .bot_api import BotApiStandIn

TOKEN = "123:ABC"


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """A started stand-in on a free 127.0.0.1 port, stopped after the test."""
    async with BotApiStandIn() as api:
        yield api


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    """An initialized ``telegram.Bot`` talking to ``standin``."""
    async with Bot(TOKEN, base_url=standin.base_url, base_file_url=standin.base_file_url) as b:
        yield b
