"""Leases in portable SQL: how several workers (threads of one process, or instances on one
database) share the outbox, the inbox and the jobs that must run once at a time.

A lease is a holder's name and a time until which the row (or job) is theirs. Nothing is
held in memory: a worker that dies holding a lease loses it when the lease runs out, and
another takes over, which is what a second instance on the same database needs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.store.sql import FIRST_PENDING, Executor, _delivery, parse_ts, required_ts, ts
from flows.ports import Clock
from flows.store import Delivery, InboundEvent

# How often a worker waiting for a singleton looks again; short against every lease in use
# (the shortest, the Zalo token refresh, is seconds) and long against one SELECT.
SINGLETON_POLL = 0.05


# The rows due now: not sent, not given up, their time has come, their recipient's first
# pending reply, and not leased to another worker (a worker's own leases are rows it left
# unfinished, by a crash: taken back at once on restart, since a worker keeps its name in its
# next life).
DUE = (
    "o.channel = ? AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
    " AND (o.lease_until IS NULL OR o.lease_until <= ? OR o.lease_owner = ?)"
    f" AND {FIRST_PENDING}"
)


class SqlLeases:
    """Mixed into a store that has `ex` (single statements) and `clock`."""

    ex: Executor
    clock: Clock
    instance: str  # this instance's name, the same after a restart: workers are named by it
    _holds = itertools.count(1)

    async def claim_due(
        self, channel: str, worker: str, lease: timedelta, limit: int = 10
    ) -> list[Delivery]:
        """Lease the replies due now to `worker`, most urgent first: each is handed to one
        worker until it is marked sent, retried or undeliverable, or the lease runs out."""
        now = self.clock()
        rows = await self.ex.fetch(
            "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN"
            f" (SELECT o.id FROM outbox o WHERE {DUE} ORDER BY o.priority_rank, o.id LIMIT ?)"
            " RETURNING *",
            (worker, ts(now + lease), channel, ts(now), ts(now), worker, limit),
        )
        # RETURNING gives rows in no promised order.
        ordered = sorted(rows, key=lambda r: (r["priority_rank"], r["id"]))
        return [_delivery(r) for r in ordered]

    async def claim_inbound(
        self, channel: str, worker: str, lease: timedelta
    ) -> list[InboundEvent]:
        """Lease the kept events not yet handled (to replay them after a crash), oldest
        first. Two instances starting together replay each event once; an event another
        instance is handling right now may be replayed too, and is then recognised as a
        duplicate inside the unit of work (`is_processed`)."""
        now = self.clock()
        rows = await self.ex.fetch(
            "UPDATE inbox SET lease_owner = ?, lease_until = ? WHERE channel = ?"
            " AND processed_at IS NULL AND payload != ''"
            " AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"
            " RETURNING channel, event_id, payload, received_at, rowid",
            (worker, ts(now + lease), channel, ts(now), worker),
        )
        ordered = sorted(rows, key=lambda r: (r["received_at"], r["rowid"]))
        return [InboundEvent(r[0], r[1], r[2], required_ts(r[3])) for r in ordered]

    async def hold_singleton(self, name: str, holder: str, lease: timedelta) -> bool:
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

    async def release_singleton(self, name: str, holder: str) -> None:
        await self.ex.execute(
            "DELETE FROM singletons WHERE name = ? AND holder = ?", (name, holder)
        )

    async def singleton_holder(self, name: str) -> str | None:
        """Who holds the named lease now, if anyone (for `hotline` status and tests)."""
        rows = await self.ex.fetch(
            "SELECT holder, until FROM singletons WHERE name = ?", (name,)
        )
        if not rows:
            return None
        until = parse_ts(rows[0][1])
        return rows[0][0] if until is not None and until > self.clock() else None

    @asynccontextmanager
    async def singleton(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AsyncIterator[bool]:
        """Run a job on one worker at a time, across tasks and instances: yields True to the
        holder of the named lease (released on exit) and False to anyone else, at once, or
        with `wait` once the holder is done or its lease ran out. The lease must outlast the
        job: a holder that dies is replaced only when it runs out."""
        # Each use is its own holder, so two tasks (or two processes of one instance, such as
        # `hotline purge` beside `hotline run`) exclude each other too.
        holder = f"{self.instance}:{os.getpid()}/{next(self._holds)}"
        held = await self.hold_singleton(name, holder, lease)
        while not held and wait:
            await asyncio.sleep(SINGLETON_POLL)
            held = await self.hold_singleton(name, holder, lease)
        try:
            yield held
        finally:
            if held:
                await self.release_singleton(name, holder)
