"""The Store on PostgreSQL through psycopg 3 and its async connection pool, for several
instances on one database.

The statements are the same portable SQL as SQLite's (bot/store/sql/), their `?` placeholders
translated once per statement. What is PostgreSQL's own lives here: the pool, migrations
applied under an advisory lock (instances starting together cannot race), a unit of work for
one person under a transaction advisory lock on that person (two instances keep one person's
messages in order), and `urgent` units of work, which need nothing: units of work for
different people run at once, so none waits behind another's.

Jobs that must run once (`singleton`, `exclusive`) are session advisory locks, held on a
connection of the holder's: when its process dies the server drops the connection and the
lock with it, and another instance takes over at its next try, in about a second, instead of
waiting for a lease to run out. A new reply notifies `hotline_outbox` (migration 0012), which
each instance's `listen` connection hears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from bot.store.port import Hold, Wake
from bot.store.schema import pending
from bot.store.sql.retention import purge_targets
from bot.store.sql.rows import Row, ts
from bot.store.sql.singletons import HOLD_POLL, SINGLETON_POLL
from bot.store.sql.store import SqlStoreBase
from bot.store.sql.transaction import SqlTransaction
from flows.ports import Clock
from flows.retention import PurgeReport, RetentionPolicy
from flows.store import InboundEvent

log = logging.getLogger(__name__)

DIALECT = "postgres"
MIGRATION_LOCK = 0x686F746C  # "hotl": the advisory lock instances take to migrate
POOL_SIZE = 10  # connections per instance: units of work for different people run at once
WAKE_CHANNEL = "hotline_outbox"  # what migration 0012's trigger notifies

# How often a held right's connection is checked, and how long the check may take: a
# connection that cannot answer has lost its locks, or will, and the holder must stop.
HOLD_CHECK = 1.0
HOLD_CHECK_DEADLINE = 5.0
LISTEN_RETRY = 1.0  # seconds before a broken LISTEN connection is opened again

# The 64-bit key of a named advisory lock; the prefix keeps these apart from the keys of the
# per-person locks (person keys are "channel:id").
TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended('singleton:' || %s, 0))"
UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('singleton:' || %s, 0))"
# Who holds a named lock: the application_name of the session holding it (pg_locks splits a
# bigint key into its high and low 32 bits).
LOCK_HOLDER = (
    "WITH k AS (SELECT hashtextextended('singleton:' || %s, 0) AS key)"
    " SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, k"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid::bigint = ((k.key >> 32) & 4294967295)"
    " AND l.objid::bigint = (k.key & 4294967295)"
)


@lru_cache(maxsize=1024)
def translated(sql: str) -> str:
    """`?` placeholders as psycopg's `%s`; a literal `%` (as in LIKE '/%') doubled."""
    return re.sub(r"\?", "%s", sql.replace("%", "%%"))


class PgRow(tuple[Any, ...]):
    """A result row read by position or by column name, as the portable SQL reads rows."""

    names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> PgRow:
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self.names[key])
        return super().__getitem__(key)


def both_ways(cursor: AsyncCursor[Any]) -> RowMaker[PgRow]:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, names)


class _OnConnection:
    """Statements on one connection (a unit of work's)."""

    claim_lock = " FOR UPDATE SKIP LOCKED"  # a row another claim is taking is not chosen

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self.conn.execute(translated(sql), tuple(params))
        return cursor.rowcount

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.conn.cursor(row_factory=both_ways) as cursor:
            await cursor.execute(translated(sql), tuple(params))
            return list(await cursor.fetchall())


class _OneAtATime:
    """Single statements outside a unit of work, each on a pooled connection (autocommit)."""

    claim_lock = _OnConnection.claim_lock

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.store.pool.connection() as conn:
            return await _OnConnection(conn).execute(sql, params)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.store.pool.connection() as conn:
            return await _OnConnection(conn).fetch(sql, params)


class PostgresStore(SqlStoreBase):
    """flows.store.Store on one PostgreSQL database, shared by every instance."""

    def __init__(self, url: str, clock: Clock, *, instance: str = "",
                 pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._listening: asyncio.Task[None] | None = None
        super().__init__(_OneAtATime(self), clock, instance)
        # Every session of this process names it, so that `singleton_holder` can say who
        # holds a lock ("instance:pid", as bot/store/sql/singletons.py names holders).
        self.session_name = f"{self.instance}:{os.getpid()}"[-63:]

    @property
    def pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        if self._pool is None:
            raise RuntimeError("the store is not open: call await store.open() first")
        return self._pool

    async def open(self) -> None:
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            self.url, min_size=1, max_size=self.pool_size, open=False,
            kwargs={"autocommit": True, "application_name": self.session_name},
            name=f"hotline-{self.instance}",
        )
        await pool.open(wait=True, timeout=10.0)
        self._pool = pool
        try:
            await self._migrate()
        except BaseException:  # a schema this version cannot use: leave nothing open
            await self.close()
            raise

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _migrate(self) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            # One instance migrates; one starting meanwhile waits here, then finds it done.
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            cursor = await conn.execute("SELECT number FROM schema_migrations")
            applied = {row[0] for row in await cursor.fetchall()}
            for number, name, sql in pending(DIALECT, applied):
                async with conn.transaction():  # a savepoint: all of one migration, or none
                    await conn.execute(sql.encode())  # several statements, no parameters
                    await conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                                       (number, name, ts(self.clock())))
                log.info("migration applied", extra={"event": "migration", "migration": name})

    @asynccontextmanager
    async def transaction(
        self, *, person: str = "", urgent: bool = False
    ) -> AsyncIterator[SqlTransaction]:
        del urgent  # units of work for different people do not wait for each other here
        async with self.pool.connection() as conn, conn.transaction():
            if person:
                # Held to the commit, on whichever instance: one person's units of work run
                # one after the other, each seeing what the one before committed.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                                   (person,))
            yield SqlTransaction(_OnConnection(conn), self.clock)

    # ---------------------------------------------------------------- held across instances

    async def _connect(self) -> AsyncConnection[Any]:
        """A connection of its own, outside the pool: what it holds lives as long as it."""
        return await AsyncConnection.connect(self.url, autocommit=True,
                                             application_name=self.session_name)

    @asynccontextmanager
    async def singleton(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AsyncIterator[bool]:
        """As the port says, on a session advisory lock of a pooled connection held for the
        job: the holder dying frees it (the lease is not needed)."""
        del lease
        async with self.pool.connection() as conn:
            held = await _try_lock(conn, name)
            while not held and wait:
                await asyncio.sleep(SINGLETON_POLL)
                held = await _try_lock(conn, name)
            try:
                yield held
            finally:
                if held:
                    with contextlib.suppress(Exception):  # a broken connection held nothing
                        await conn.execute(UNLOCK, (name,))

    async def singleton_holder(self, name: str) -> str | None:
        """The session holding the named lock, or else the holder of a lease of that name
        (the leases `bot/lease.py` keeps are rows, as on SQLite)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(LOCK_HOLDER, (name,))
            row = await cursor.fetchone()
        if row is not None:
            return str(row[0]) or "another instance"
        return await super().singleton_holder(name)

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[Hold]:
        conn = await self._connect()
        try:
            held = await _try_lock(conn, name)
            while not held:  # another instance's: look again shortly
                await asyncio.sleep(HOLD_POLL)
                held = await _try_lock(conn, name)
            hold = Hold(self.session_name)
            checking = asyncio.create_task(_check(conn, hold), name=f"hold-{name}")
            try:
                yield hold
            finally:
                checking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checking
        finally:
            with contextlib.suppress(Exception):  # closing the session frees the lock anyway
                await conn.close()

    async def listen(self, wake: Wake) -> None:
        """LISTEN on a connection of its own; a broken one is opened again, and meanwhile the
        deliverers' own polling (every second or two) stands in."""
        if self._listening is None:
            ready = asyncio.Event()
            self._listening = asyncio.create_task(self._listen(wake, ready), name="listen")
            # Listening before the first reply of the run is queued; a server that does not
            # answer leaves the polling to it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), HOLD_CHECK_DEADLINE)

    async def _listen(self, wake: Wake, ready: asyncio.Event) -> None:
        while True:
            try:
                conn = await self._connect()
                async with conn:
                    await conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    ready.set()
                    async for note in conn.notifies():
                        wake(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listen connection lost", exc_info=True,
                            extra={"event": "listen_lost"})
            await asyncio.sleep(LISTEN_RETRY)

    async def record_inbound(self, events: Sequence[InboundEvent], *, urgent: bool = False) -> int:
        """Keep raw events, one transaction for the batch; how many were new."""
        del urgent
        if not events:
            return 0
        new = 0
        async with self.pool.connection() as conn, conn.transaction():
            unit = _OnConnection(conn)
            for e in events:
                new += await unit.execute(
                    "INSERT INTO inbox (channel, event_id, payload, received_at, person_key)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, event_id) DO NOTHING",
                    (e.channel, e.event_id, e.payload, ts(e.received_at), e.person),
                )
        return new

    async def checkpoint(self) -> None:
        """Nothing to fold: PostgreSQL's write-ahead log is its own business (and deleted rows
        are reclaimed by VACUUM after a purge)."""

    async def purge(self, now: datetime, policy: RetentionPolicy, *, dry_run: bool) -> PurgeReport:
        """Delete what is past its retention time (or, dry, count it: the deletions run and
        are rolled back, so what one frees for the next is counted too)."""
        counts: dict[str, int] = {}
        async with self.pool.connection() as conn:
            async with conn.transaction(force_rollback=dry_run):
                unit = _OnConnection(conn)
                for kind, target, params in purge_targets(now, policy):
                    rows = await unit.fetch(f"SELECT count(*) FROM {target}", params)
                    counts[kind] = int(rows[0][0])
                    if counts[kind]:
                        await unit.execute(f"DELETE FROM {target}", params)
            if not dry_run and any(counts.values()):
                await conn.execute("VACUUM")  # reclaim the erased rows now, not some day
        return PurgeReport(counts, dry_run)


async def _try_lock(conn: AsyncConnection[Any], name: str) -> bool:
    cursor = await conn.execute(TRY_LOCK, (name,))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _check(conn: AsyncConnection[Any], hold: Hold) -> None:
    """Set `hold.lost` once the holding connection no longer answers."""
    while True:
        await asyncio.sleep(HOLD_CHECK)
        try:
            await asyncio.wait_for(conn.execute("SELECT 1"), HOLD_CHECK_DEADLINE)
        except Exception:
            log.error("hold lost with its connection", extra={"event": "hold_lost"})
            hold.lost.set()
            return
