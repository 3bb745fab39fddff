"""The Store on SQLite through aiosqlite: WAL, foreign keys, numbered migrations at open.

The statements themselves are portable and live in bot/store/sql/, one module per table
family; this module is what is SQLite's own: the connection and its pragmas, migrations, how
statements are serialised, and compacting the files after deletions.

One connection serves the whole process. SQLite has a single writer anyway, so transactions
are serialised with a lock instead of letting them fail with "database is locked"; single
statements outside a transaction take the same lock, because on a shared connection a read
would otherwise see another task's transaction before it commits (or rolls back). Single
statements go before waiting units of work (bot/store/priority_lock.py): the one delivery
worker then waits for at most one transaction, which raised throughput from about 0.4 to
0.5 of a bare echo bot's in benchmarks/bot_bench.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.priority_lock import QUICK, URGENT, WORK, PriorityLock
from bot.store.schema import pending
from bot.store.sql.retention import purge_targets
from bot.store.sql.rows import Row, ts
from bot.store.sql.store import SqlStoreBase
from bot.store.sql.transaction import SqlTransaction
from flows.ports import Clock
from flows.retention import PurgeReport, RetentionPolicy
from flows.store import InboundEvent

log = logging.getLogger(__name__)


class _InTransaction:
    """Statements inside a unit of work: the store's lock is already held."""

    claim_lock = ""  # one writer at a time: nobody else is choosing rows meanwhile

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self.store.db.execute(sql, params)
        return cursor.rowcount

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        # execute_fetchall: one trip to the database thread (a cursor costs three).
        return list(await self.store.db.execute_fetchall(sql, params))


class _OneAtATime(_InTransaction):
    """Single statements outside a unit of work, each under the store's lock."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.store.lock.hold(QUICK):
            return await super().execute(sql, params)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self.store.lock.hold(QUICK):
            return await super().fetch(sql, params)


class SqliteStore(SqlStoreBase):
    """flows.store.Store on one SQLite file. Its repositories (people, cases, outbox…) run
    single statements outside a unit of work; `views` is the read side."""

    def __init__(self, path: str | Path, clock: Clock, *, instance: str = "") -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self.lock = PriorityLock()
        self.unit = _InTransaction(self)
        # _OneAtATime also serves tools and tests that read the database.
        super().__init__(_OneAtATime(self), clock, instance)

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open: call await store.open() first")
        return self._db

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a unit of work is exactly
        # one SQLite transaction.
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db.row_factory = aiosqlite.Row
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA secure_delete = ON",
        ):
            await self._db.execute(pragma)
        try:
            await self._migrate()
        except BaseException:  # a schema this version cannot use: leave nothing open
            await self.close()
            raise

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _migrate(self) -> None:
        db = self.db
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = await db.execute_fetchall("SELECT number FROM schema_migrations")
        applied = {row[0] for row in rows}
        for number, name, sql in pending("sqlite", applied):
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (number, name, ts(self.clock())),
                )
                await db.execute("COMMIT")
            except Exception:
                await db.execute("ROLLBACK")
                raise
            log.info("migration applied", extra={"event": "migration", "migration": name})

    async def backup(self, path: Path) -> None:
        """A consistent copy of the database in a new file, while the bot keeps running
        (SQLite's online backup)."""
        # The copy is written from aiosqlite's thread, never the event loop's.
        target = await asyncio.to_thread(sqlite3.connect, path, check_same_thread=False)
        try:
            async with self.lock.hold(WORK):  # between units of work, never inside one
                await self.db.backup(target)
        finally:
            await asyncio.to_thread(target.close)

    @asynccontextmanager
    async def transaction(
        self, *, person: str = "", urgent: bool = False
    ) -> AsyncIterator[SqlTransaction]:
        # `person` needs nothing more here: every unit of work on the one connection is
        # serialised, so one person's are too (a server store locks the person in SQL).
        del person
        async with self.lock.hold(URGENT if urgent else WORK):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqlTransaction(self.unit, self.clock)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def record_inbound(self, events: Sequence[InboundEvent], *, urgent: bool = False) -> int:
        """Store raw events; returns how many were new. Duplicates are ignored.

        Autocommit, one statement: each row is durable on its own, which is all the inbox
        needs, and it costs one trip to the database thread.
        """
        if not events:
            return 0
        # Measured: receiving everything ahead of ordinary units of work lets a stream of small
        # batches crowd out the handling (throughput 0.54 -> 0.35 of the echo floor); receiving
        # in turn makes an emergency wait (reply p50 62 ms instead of 10). So only a batch with
        # a message that signals danger goes ahead.
        async with self.lock.hold(URGENT if urgent else WORK):
            before = self.db.total_changes
            await self.db.executemany(
                "INSERT INTO inbox (channel, event_id, payload, received_at, person_key)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, event_id) DO NOTHING",
                [(e.channel, e.event_id, e.payload, ts(e.received_at), e.person)
                 for e in events],
            )
            return self.db.total_changes - before

    async def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and empty it, so that erased
        rows are not left behind in the -wal file (secure_delete zeroes them in the file)."""
        async with self.lock.hold(WORK):
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge(self, now: datetime, policy: RetentionPolicy, *, dry_run: bool) -> PurgeReport:
        """Delete what is past its retention time (or, dry, count it). Erased means gone:
        rows are deleted, secure_delete zeroes them, and the file is compacted after."""
        counts: dict[str, int] = {}
        async with self.lock.hold(WORK):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for kind, target, params in purge_targets(now, policy):
                    rows = await self.unit.fetch(f"SELECT count(*) FROM {target}", params)
                    counts[kind] = int(rows[0][0])
                    # Dry runs delete too, then roll back: what one deletion frees for the
                    # next (a person idle once their messages are gone) is counted as well.
                    if counts[kind]:
                        await self.unit.execute(f"DELETE FROM {target}", params)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("ROLLBACK" if dry_run else "COMMIT")
            if not dry_run and any(counts.values()):
                await self.db.execute("VACUUM")
                await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PurgeReport(counts, dry_run)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (our migrations hold no ';' inside literals; a
    trigger's body ends with 'END;')."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    statements: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        text = "\n".join(current).strip()
        in_trigger = text.upper().startswith("CREATE TRIGGER")
        if text.endswith(";") and (not in_trigger or text.upper().endswith("END;")):
            statements.append(text.rstrip(";").strip())
            current = []
    rest = "\n".join(current).strip()
    return statements + ([rest] if rest else [])
