"""The jobs a running hotline does on its own run on one worker at a time: a round that
finds another worker holding its job waits for the next round; once free, it runs."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot import jobs
from bot.app import Core
from bot.hotline import Hotline
from flows.store import InboundEvent
from tests.bot.test_telegram import reply_to
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

LEASE = timedelta(minutes=5)


async def test_a_watch_round_runs_only_when_no_other_worker_is_watching(core: Core) -> None:
    woken: list[str] = []
    async with core.store.singleton(jobs.WATCH, LEASE) as other:
        assert other
        assert not await jobs.watch_round(core, lambda: woken.append("wake"))
    assert await jobs.watch_round(core, lambda: woken.append("wake"))


async def test_a_purge_is_refused_while_another_runs_and_done_after(
    core: Core, clock: Clock
) -> None:
    await core.dispatcher.handle(make_incoming(text="xin chào"))
    clock.advance(timedelta(days=400).total_seconds())
    async with core.store.singleton(jobs.PURGE, LEASE):
        assert await jobs.purge(core, dry_run=False) is None
        assert await core.store.views.person("telegram", "111") is not None  # nothing went
    report = await jobs.purge(core, dry_run=False)
    assert report is not None and report.counts["idle people"] == 1


async def test_articles_are_reloaded_by_one_worker_at_a_time(core: Core) -> None:
    async with core.store.singleton(jobs.RELOAD, LEASE):
        assert await jobs.reload_round(core) is None
    assert await jobs.reload_round(core) is False  # free now; nothing changed on disk


async def test_an_event_a_dead_instance_kept_but_never_handled_is_answered_by_another(
    channel: Hotline, bot_api: BotApiStandIn,
) -> None:
    """Another instance kept the update (and answered Telegram's webhook 200) half a minute
    ago, then died: nobody would send it again, so a running instance picks it up."""
    core = channel.core
    update = updates.command(31_000, "/start")
    left = core.clock() - timedelta(seconds=30)
    await core.store.record_inbound(
        [InboundEvent("telegram", str(update["update_id"]), json.dumps(update), left)])
    fresh = updates.command(31_001, "/start")
    await core.store.record_inbound(  # kept just now: its instance is handling it
        [InboundEvent("telegram", str(fresh["update_id"]), json.dumps(fresh), core.clock())])
    stop = asyncio.Event()
    picking = asyncio.create_task(jobs.pick_up_left_events(channel.channels, stop))
    try:
        await bot_api.wait_for(reply_to(31_000, "Xin chào"), timeout=10)
    finally:
        stop.set()
        await picking
    assert not [c for c in bot_api.calls_of("sendMessage") if str(c.chat_id) == "31001"]
    assert await core.store.inbox.is_processed("telegram", str(update["update_id"]))
