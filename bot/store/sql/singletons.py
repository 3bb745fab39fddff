"""Singletons: jobs that must run on one worker at a time, across tasks and instances, held
by a named lease in the database (a holder that dies loses it when the lease runs out)."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.store.sql.rows import Executor, SqlFamily, parse_ts, ts
from flows.ports import Clock

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
