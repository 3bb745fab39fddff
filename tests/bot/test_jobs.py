"""The jobs a running hotline does on its own run on one worker at a time: a round that
finds another worker holding its job waits for the next round; once free, it runs."""

from __future__ import annotations

from datetime import timedelta

from bot import jobs
from bot.app import Core
from tests.conftest import Clock
from tests.factories import make_incoming

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
