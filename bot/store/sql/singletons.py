"""Singletons: jobs that must run on one worker at a time, across tasks and instances, held
by a named lease in the database (a holder that dies loses it when the lease runs out, or at
once to a restart of its own instance). PostgreSQL holds them as advisory locks instead
(bot/store/postgres.py); SQLite, which serves one machine, as these rows."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.store.port import Hold
from bot.store.sql.rows import Executor, SqlFamily, parse_ts, ts
from flows.ports import Clock

log = logging.getLogger(__name__)

# How often a worker waiting for a singleton looks again; short against every lease in use
# (the shortest, the Zalo token refresh, is seconds) and long against one SELECT.
SINGLETON_POLL = 0.05


def this_instance() -> str:
    """This instance's default name: the machine's, the same after a restart, so that a
    restarted worker takes back at once what its previous life had leased."""
    return socket.gethostname()


_holders = itertools.count(1)


def new_holder(instance: str) -> str:
    """A lease holder's name: this instance, this process, and which use in it, so that two
    tasks (or two processes of one instance, such as `hotline purge` beside `hotline run`)
    exclude each other too."""
    return f"{instance}:{os.getpid()}/{next(_holders)}"


def holder_process(holder: str) -> tuple[str, int | None]:
    """(instance, process id) of a `new_holder` name; None for a name of another form."""
    instance, _, pid = holder.rsplit("/", 1)[0].rpartition(":")
    return instance, int(pid) if pid.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def dead_sibling(holder: str, instance: str) -> bool:
    """Whether `holder` was a process of this instance (this machine) that no longer runs:
    what it held can be taken at once, without waiting for its lease to run out."""
    held_by, pid = holder_process(holder)
    return held_by == instance and pid is not None and not _alive(pid)


# A right kept as long as something runs (`exclusive`): renewed every HOLD_FOR / 4, so that a
# holder that dies on another machine is replaced within HOLD_FOR; a waiting worker looks
# again every HOLD_POLL seconds.
HOLD_FOR = timedelta(seconds=8)
HOLD_POLL = 0.5


class SingletonsSql(SqlFamily):
    def __init__(self, ex: Executor, clock: Clock, instance: str) -> None:
        super().__init__(ex, clock)
        self.instance = instance  # this instance's name, the same after a restart

    async def hold(self, name: str, holder: str, lease: timedelta) -> bool:
        """Take (or renew) the named lease for `holder`; False while another holds it."""
        now = self.clock()
        rows = await self.ex.fetch(
            "INSERT INTO singletons (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE singletons.holder = excluded.holder OR singletons.until <= ?"
            " RETURNING holder",
            (name, holder, ts(now + lease), ts(now)),
        )
        return bool(rows) and rows[0][0] == holder
    async def release(self, name: str, holder: str) -> None:
        await self.ex.execute(
            "DELETE FROM singletons WHERE name = ? AND holder = ?", (name, holder)
        )
    async def holder(self, name: str) -> str | None:
        """Who holds the named lease now, if anyone (for `hotline` status and tests)."""
        rows = await self.ex.fetch(
            "SELECT holder, until FROM singletons WHERE name = ?", (name,)
        )
        if not rows:
            return None
        until = parse_ts(rows[0][1])
        return rows[0][0] if until is not None and until > self.clock() else None
    @asynccontextmanager
    async def held(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AsyncIterator[bool]:
        """Run a job on one worker at a time, across tasks and instances: yields True to the
        holder of the named lease (released on exit) and False to anyone else, at once, or
        with `wait` once the holder is done or its lease ran out. The lease must outlast the
        job: a holder that dies is replaced only when it runs out."""
        holder = new_holder(self.instance)  # each use is its own holder
        held = await self.hold(name, holder, lease)
        while not held and wait:
            await asyncio.sleep(SINGLETON_POLL)
            held = await self.hold(name, holder, lease)
        try:
            yield held
        finally:
            if held:
                await self.release(name, holder)

    async def take_from_dead(self, name: str, holder: str, lease: timedelta) -> bool:
        """`hold`, and if a dead process of this instance holds it, take it from that one."""
        if await self.hold(name, holder, lease):
            return True
        other = await self.holder(name)
        if other is None or not dead_sibling(other, self.instance):
            return False
        await self.release(name, other)
        return await self.hold(name, holder, lease)

    @asynccontextmanager
    async def kept(self, name: str) -> AsyncIterator[Hold]:
        """Wait until this worker holds `name`, then keep renewing it until the block ends;
        `lost` is set if a renewal finds another holder, or none succeeded for HOLD_FOR."""
        hold = Hold(new_holder(self.instance))
        held = await self.take_from_dead(name, hold.holder, HOLD_FOR)
        while not held:  # another worker's: look again shortly
            await asyncio.sleep(HOLD_POLL)
            held = await self.take_from_dead(name, hold.holder, HOLD_FOR)
        renewing = asyncio.create_task(self._renew(name, hold), name=f"hold-{name}")
        try:
            yield hold
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            with contextlib.suppress(Exception):  # a failing store: the lease runs out
                await self.release(name, hold.holder)

    async def _renew(self, name: str, hold: Hold) -> None:
        loop = asyncio.get_running_loop()
        confirmed = loop.time()
        while not hold.lost.is_set():
            await asyncio.sleep(HOLD_FOR.total_seconds() / 4)
            try:
                if await self.hold(name, hold.holder, HOLD_FOR):
                    confirmed = loop.time()
                    continue
                log.error("hold lost to another worker", extra={"event": "hold_lost",
                                                               "hold": name})
                hold.lost.set()
            except Exception:
                log.warning("hold renewal failed", exc_info=True,
                            extra={"event": "hold_renewal_failed", "hold": name})
                if loop.time() - confirmed >= HOLD_FOR.total_seconds():
                    hold.lost.set()
