"""The one receiving pipeline (bot/receiving.py) with real parts: a real dispatcher whose
templates are broken, so that handling fails as an error of ours would; and the replay at
start through the real Telegram channel against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.app import assemble, receiving
from bot.core import Core
from flows.counsellor import StaffDesk
from flows.dispatch import Dispatcher
from flows.messages import Incoming, IncomingKind
from flows.store import InboundEvent
from knowledge.render import Templates
from tests.bot.test_telegram import reply_to
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

SORRY = "hệ thống vừa gặp trục trặc"


def with_broken_help(core: Core, tmp_path: Path) -> Core:
    """The same core, its templates copied with `help.j2` asking for a value nobody passes
    (StrictUndefined: rendering it raises)."""
    folder = tmp_path / "templates"
    shutil.copytree(core.config.knowledge_path / "templates", folder)
    (folder / "help.j2").write_text("{{ no_such_value }}\n", encoding="utf-8")
    services = dataclasses.replace(core.services, render=Templates(folder))
    return dataclasses.replace(core, services=services,
                               dispatcher=Dispatcher(core.store, services),
                               desk=StaffDesk(core.store, services))


async def test_an_error_of_ours_is_apologised_for_and_the_message_kept(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = with_broken_help(core, tmp_path)
    pipeline = receiving(broken, "console")
    incoming = Incoming(channel="console", user_id="p1", event_id="e1", kind=IncomingKind.TEXT,
                        received_at=core.clock(), text="/help")
    assert await pipeline.keep([InboundEvent("console", "e1", "{}", core.clock())]) == 1

    assert await pipeline.handle(incoming) is None

    (apology,) = await core.store.outbox.due("console", core.clock(), 10)
    assert apology.recipient == "p1" and SORRY in apology.message.text
    person = await core.store.views.person("console", "p1")
    assert person is not None
    said = [(m.direction, m.text) for m in await core.store.views.history(person.id)]
    assert said == [("in", "/help"), ("out", apology.message.text)]
    assert await core.store.inbox.unprocessed("console") == []  # answered: not replayed
    failed = [r for r in caplog.records if getattr(r, "event", "") == "event_failed"]
    assert [(r.channel, r.event_id) for r in failed] == [("console", "e1")]  # type: ignore[attr-defined]


async def test_a_telegram_update_whose_handling_fails_gets_the_apology(
    tg_core: Core, bot_api: BotApiStandIn, tmp_path: Path
) -> None:
    hotline = assemble(with_broken_help(tg_core, tmp_path))
    await hotline.start()
    try:
        bot_api.push_update(updates.command(601, "/help"))
        await bot_api.wait_for(reply_to(601, SORRY), timeout=10)
        await _until_inbox_empty(tg_core)
    finally:
        await hotline.stop()


async def test_at_start_what_was_kept_is_answered_and_what_cannot_be_read_is_dropped(
    tg_core: Core, bot_api: BotApiStandIn
) -> None:
    update: dict[str, Any] = updates.command(602, "/start")
    update["update_id"] = 77
    now = tg_core.clock()
    await tg_core.store.record_inbound([
        InboundEvent("telegram", "77", json.dumps(update), now),
        InboundEvent("telegram", "78", "{not json", now),
    ])
    hotline = assemble(tg_core)
    await hotline.start()
    try:
        await bot_api.wait_for(reply_to(602, "Xin chào"), timeout=10)
        await _until_inbox_empty(tg_core)  # 78 too: marked processed, not replayed again
    finally:
        await hotline.stop()


async def _until_inbox_empty(core: Core) -> None:
    for _ in range(100):
        if not await core.store.inbox.unprocessed("telegram"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("updates left unprocessed in the inbox")

