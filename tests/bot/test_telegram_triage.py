"""One polled Telegram update, through the real python-telegram-bot against the local Bot API
stand-in: the batch is ordered with a rules-only glance, and the message is assessed in full
once, when it is handled."""

from __future__ import annotations

from bot.app import Core, assemble
from tests.bot.test_telegram import reply_to
from tests.flows.triage_counting import counting_core
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

USER = 141
DANGER = "chong em dang danh em cuu voi"


async def test_a_polled_update_is_glanced_at_once_and_assessed_once(
    tg_core: Core, bot_api: BotApiStandIn
) -> None:
    core, triage = counting_core(tg_core)
    channel = assemble(core)
    await channel.start()
    try:
        bot_api.push_update(updates.text(USER, DANGER))
        await bot_api.wait_for(reply_to(USER, "đang ở đâu"), timeout=10)
    finally:
        await channel.stop()
    assert triage.glanced == [DANGER]  # ordering the polled batch before it is stored
    assert triage.assessed == [DANGER]  # the one full assessment, in the dispatcher
