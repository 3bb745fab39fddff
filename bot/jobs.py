"""The jobs a running hotline does on its own, besides answering: the case watch, the daily
purge and picking up edited articles, each under a named singleton (`Store.singleton`) so
that several instances on one database never run one of them twice at once; and, on every
instance, picking up the events an instance that died had kept but not handled.

Every instance holds its own index in memory, so each reloads the articles for itself; the
lease only keeps two from re-embedding the same changed articles at once into the vector cache
they share: the second finds the vectors cached and reloads in a moment, a round later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.channels.base import Channel
from bot.core import Core
from flows.retention import PurgeReport

log = logging.getLogger(__name__)

WATCH_EVERY = 5.0  # seconds; well under the shortest alert delay (60 s for critical cases)
PURGE_EVERY = timedelta(days=1)

# Each lease outlasts its job by far (a watch round takes milliseconds, a purge of a year of
# data seconds), so a slow round is never run twice; a holder that dies frees it after this.
WATCH_LEASE = timedelta(minutes=1)
PURGE_LEASE = timedelta(minutes=30)
RELOAD_LEASE = timedelta(minutes=10)  # embedding every article anew takes minutes at most

# An event a live instance kept is handled within a second or two (seconds in a burst); one
# still unhandled after this was left by an instance that died, and another takes it.
PICK_UP_AFTER = timedelta(seconds=10)
PICK_UP_EVERY = 3.0

WATCH = "case_watch"
PURGE = "purge"
RELOAD = "knowledge_reload"


async def watch_round(core: Core, wake: Callable[[], None]) -> bool:
    """One round of the case watch, if no other worker is running one; True if it ran."""
    async with core.store.singleton(WATCH, WATCH_LEASE) as mine:
        if not mine:
            return False
        report = await core.watch.run_once()
    if report.escalated or report.apologised or report.closed or report.updated:
        wake()
    return True


async def reload_round(core: Core) -> bool | None:
    """Pick up edited articles (True if the index changed); None when another worker is
    reloading right now, and this one tries again next round."""
    async with core.store.singleton(RELOAD, RELOAD_LEASE) as mine:
        return await core.refresh_knowledge() if mine else None


async def purge(core: Core, *, dry_run: bool) -> PurgeReport | None:
    """Delete (or, dry, count) what is past its retention time; None when another worker is
    purging right now."""
    async with core.store.singleton(PURGE, PURGE_LEASE) as mine:
        return await core.purge(dry_run=dry_run) if mine else None


async def watch_cases(core: Core, wake: Callable[[], None], stop: asyncio.Event) -> None:
    """Escalate unclaimed urgent cases, tell people when their place in the queue moves,
    apologise for long waits, close silent cases, pick up edited articles; once a day, delete
    what is past its retention time."""
    last_purge: datetime | None = None  # by the core's clock: the first round purges
    while not stop.is_set():
        if last_purge is None or core.clock() - last_purge >= PURGE_EVERY:
            try:
                await purge(core, dry_run=False)
            except Exception:
                log.exception("purge failed", extra={"event": "purge_failed"})
            last_purge = core.clock()
        try:
            await watch_round(core, wake)
            await reload_round(core)
        except Exception:  # keep watching: a failed round is logged and retried
            log.exception("case watch failed", extra={"event": "watch_failed"})
        try:
            await asyncio.wait_for(stop.wait(), WATCH_EVERY)
        except TimeoutError:
            pass


async def pick_up_left_events(channels: Sequence[Channel], stop: asyncio.Event) -> None:
    """Handle what an instance that died left in the inbox (kept, 200 answered, never
    handled): nobody would send it again. Each instance looks; the inbox leases each event
    to one of them, and one handled twice is recognised as done."""
    while not stop.is_set():
        for channel in channels:
            try:
                picked = await channel.pick_up(PICK_UP_AFTER)
            except Exception:  # the store is failing: look again next round
                log.exception("pick up failed", extra={"event": "pick_up_failed",
                                                       "channel": channel.name})
                continue
            if picked:
                log.warning("events left unhandled picked up",
                            extra={"event": "events_picked_up", "channel": channel.name,
                                   "events": picked})
        try:
            await asyncio.wait_for(stop.wait(), PICK_UP_EVERY)
        except TimeoutError:
            pass
