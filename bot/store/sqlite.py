"""The Store on SQLite through aiosqlite: WAL, foreign keys, numbered migrations at open.

One connection serves the whole process. SQLite has a single writer anyway, so transactions
are serialised with an asyncio lock instead of letting them fail with "database is locked".
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from flows.cases import TRANSITIONS, Case, CaseStatus
from flows.messages import Outgoing, Priority, outgoing_from_dict, outgoing_to_dict
from flows.retention import PurgeReport, RetentionPolicy
from flows.store import DataSummary, Delivery, Erasure, InboundEvent, Person, StoredMessage

log = logging.getLogger(__name__)


def ts(moment: datetime) -> str:
    """One sortable text form for every timestamp: UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every shipped migration, in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def rows_of(
    db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> list[aiosqlite.Row]:
    """Execute and fetch in one trip to the database thread (a cursor costs three)."""
    return list(await db.execute_fetchall(sql, params))


def _person(row: aiosqlite.Row) -> Person:
    return Person(
        id=row["id"],
        channel=row["channel"],
        external_id=row["external_id"],
        first_name=row["first_name"],
        flow=row["flow"],
        flow_data=json.loads(row["flow_data"]),
        created_at=parse_ts(row["created_at"]),
        consent_at=parse_ts(row["consent_at"]),
    )


CASE_SELECT = (
    "SELECT c.*, p.channel AS person_channel, p.external_id AS person_external_id"
    " FROM cases c JOIN people p ON p.id = c.person_id"
)


def _case(row: aiosqlite.Row) -> Case:
    return Case(
        id=row["id"],
        person_id=row["person_id"],
        status=CaseStatus(row["status"]),
        priority=Priority(row["priority"]),
        created_at=parse_ts(row["created_at"]) or datetime.now(UTC),
        channel=row["person_channel"],
        external_id=row["person_external_id"],
        category=row["category"],
        topic=row["topic"],
        summary=row["summary"],
        signals=tuple(json.loads(row["signals"])),
        details=json.loads(row["details"]),
        thread_id=row["thread_id"],
        card_ref=row["card_ref"],
        claimed_by=row["claimed_by"],
        claimed_at=parse_ts(row["claimed_at"]),
        first_reply_at=parse_ts(row["first_reply_at"]),
        closed_at=parse_ts(row["closed_at"]),
        outcome=row["outcome"],
        escalated_at=parse_ts(row["escalated_at"]),
    )


class SqliteTransaction:
    """The unit of work handed to flows; see flows.store.Transaction."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def person(self, channel: str, external_id: str, first_name: str = "") -> Person:
        now = ts(datetime.now(UTC))
        rows = await rows_of(self.db,
            "INSERT INTO people (channel, external_id, first_name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO UPDATE SET"
            " last_seen_at = excluded.last_seen_at,"
            " first_name = CASE WHEN excluded.first_name != '' THEN excluded.first_name"
            " ELSE people.first_name END RETURNING *",
            (channel, external_id, first_name, now, now),
        )
        row = rows[0] if rows else None
        assert row is not None
        return _person(row)

    async def is_processed(self, channel: str, event_id: str) -> bool:
        rows = await rows_of(self.db,
            "SELECT processed_at FROM inbox WHERE channel = ? AND event_id = ?",
            (channel, event_id),
        )
        row = rows[0] if rows else None
        return row is not None and row[0] is not None

    async def mark_processed(self, channel: str, event_id: str, at: datetime) -> None:
        # The raw payload (text, names) is dropped once handled: only the id is needed to
        # recognise a redelivery. Events that never went through the inbox (console, tests)
        # are recorded here too, so a replay of the same id is still recognised.
        await self.db.execute(
            "INSERT INTO inbox (channel, event_id, payload, received_at, processed_at)"
            " VALUES (?, ?, '', ?, ?) ON CONFLICT (channel, event_id)"
            " DO UPDATE SET processed_at = excluded.processed_at, payload = ''",
            (channel, event_id, ts(at), ts(at)),
        )

    async def add_message(
        self,
        person_id: int,
        direction: str,
        kind: str,
        text: str,
        at: datetime,
        *,
        event_id: str = "",
        meta: dict[str, Any] | None = None,
        case_id: int | None = None,
    ) -> int:
        cur = await self.db.execute(
            "INSERT INTO messages (person_id, case_id, direction, kind, text, meta, event_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (person_id, case_id, direction, kind, text, json.dumps(meta or {}), event_id, ts(at)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def link_message(self, message_id: int, case_id: int) -> None:
        await self.db.execute(
            "UPDATE messages SET case_id = ? WHERE id = ?", (case_id, message_id)
        )

    async def set_flow(self, person_id: int, flow: str, data: dict[str, Any]) -> None:
        await self.db.execute(
            "UPDATE people SET flow = ?, flow_data = ? WHERE id = ?",
            (flow, json.dumps(data, ensure_ascii=False), person_id),
        )

    async def enqueue(
        self,
        channel: str,
        recipient: str,
        message: Outgoing,
        at: datetime,
        *,
        person_id: int | None = None,
        case_id: int | None = None,
    ) -> int:
        cur = await self.db.execute(
            "INSERT INTO outbox (channel, recipient, person_id, case_id, priority_rank, payload,"
            " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                recipient,
                person_id,
                case_id,
                message.priority.rank,
                json.dumps(outgoing_to_dict(message), ensure_ascii=False),
                ts(at),
                ts(at),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def audit(
        self, actor: str, action: str, at: datetime, *, case_id: int | None = None, detail: str = ""
    ) -> None:
        await self.db.execute(
            "INSERT INTO audit_log (at, actor, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
            (ts(at), actor, action, case_id, detail),
        )


    async def add_feedback(
        self, person_id: int, article_id: str, helpful: bool, question: str, at: datetime
    ) -> None:
        await self.db.execute(
            "INSERT INTO answer_feedback (person_id, article_id, helpful, question, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (person_id, article_id, int(helpful), question, ts(at)),
        )


    # ---------------------------------------------------------------- privacy

    async def set_consent(self, person_id: int, at: datetime | None) -> None:
        await self.db.execute(
            "UPDATE people SET consent_at = ? WHERE id = ?", (ts(at) if at else None, person_id)
        )

    async def data_summary(self, person_id: int) -> DataSummary:
        rows = await rows_of(self.db,
            "SELECT p.created_at, p.last_seen_at, p.consent_at,"
            " (SELECT count(*) FROM messages WHERE person_id = p.id AND direction = 'in'),"
            " (SELECT count(*) FROM messages WHERE person_id = p.id AND direction != 'in'"
            "  AND direction != 'note'),"
            " (SELECT count(*) FROM cases WHERE person_id = p.id),"
            " (SELECT count(*) FROM cases WHERE person_id = p.id"
            "  AND status IN ('waiting', 'active'))"
            " FROM people p WHERE p.id = ?",
            (person_id,),
        )
        row = rows[0] if rows else None
        assert row is not None
        return DataSummary(parse_ts(row[0]), parse_ts(row[1]), parse_ts(row[2]),
                           row[3], row[4], row[5], row[6])

    async def own_messages(self, person_id: int, limit: int = 50) -> list[StoredMessage]:
        rows = await rows_of(self.db,
            "SELECT * FROM (SELECT * FROM messages WHERE person_id = ? AND direction = 'in'"
            " AND text != '' ORDER BY id DESC LIMIT ?) ORDER BY id",
            (person_id, limit),
        )
        return [
            StoredMessage(r["id"], r["person_id"], r["direction"], r["kind"], r["text"],
                          parse_ts(r["created_at"]) or datetime.now(UTC), r["case_id"])
            for r in rows
        ]

    async def erase_person(self, person_id: int, keep_cases: Sequence[int]) -> Erasure:
        """Delete what the hotline holds about a person except the cases it must keep.

        The people row stays as an empty shell (channel and id only) because the bot must
        still be able to answer this chat; everything said and every case goes.
        """
        # -1 stands for "none": `id NOT IN (NULL)` would match no row at all.
        keep = list(keep_cases) or [-1]
        marks = ",".join("?" for _ in keep)
        rows = await rows_of(self.db,
            f"SELECT id, thread_id FROM cases WHERE person_id = ? AND id NOT IN ({marks})",
            (person_id, *keep),
        )
        erased = [(r[0], r[1]) for r in rows]
        erased_ids = [cid for cid, _ in erased]
        if erased_ids:
            # Staff posts and relays of those cases hold the person's words too. Before the
            # cases go: deleting a case would only unlink them (ON DELETE SET NULL).
            await self.db.execute(
                f"DELETE FROM outbox WHERE case_id IN ({','.join('?' for _ in erased_ids)})",
                erased_ids,
            )
        cur = await self.db.execute(
            f"DELETE FROM messages WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        messages = cur.rowcount
        await self.db.execute(
            f"DELETE FROM cases WHERE person_id = ? AND id NOT IN ({marks})", (person_id, *keep)
        )
        await self.db.execute("DELETE FROM answer_feedback WHERE person_id = ?", (person_id,))
        # Replies too, sent or not (a greeting holds the name), except a kept case's.
        await self.db.execute(
            f"DELETE FROM outbox WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.db.execute(
            "UPDATE people SET first_name = '', flow = 'menu', flow_data = '{}',"
            " consent_at = NULL WHERE id = ?",
            (person_id,),
        )
        return Erasure(messages, len(erased), tuple(k for k in keep if k != -1),
                       tuple((cid, thread) for cid, thread in erased if thread))

    # ---------------------------------------------------------------- cases

    async def _one_case(self, where: str, params: Sequence[Any]) -> Case | None:
        rows = await rows_of(self.db, f"{CASE_SELECT} WHERE {where}", params)
        row = rows[0] if rows else None
        return _case(row) if row else None

    async def open_case_of(self, person_id: int) -> Case | None:
        return await self._one_case(
            "c.person_id = ? AND c.status IN ('waiting', 'active') ORDER BY c.id DESC LIMIT 1",
            (person_id,),
        )

    async def case(self, case_id: int) -> Case | None:
        return await self._one_case("c.id = ?", (case_id,))

    async def create_case(
        self,
        person_id: int,
        priority: Priority,
        at: datetime,
        *,
        category: str | None = None,
        topic: str = "",
        summary: str = "",
        signals: Sequence[str] = (),
        details: dict[str, Any] | None = None,
    ) -> Case:
        cur = await self.db.execute(
            "INSERT INTO cases (person_id, status, priority, priority_rank, category, topic,"
            " summary, signals, details, created_at) VALUES (?, 'waiting', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                person_id, priority.value, priority.rank, category, topic, summary,
                json.dumps(list(signals), ensure_ascii=False),
                json.dumps(details or {}, ensure_ascii=False), ts(at),
            ),
        )
        case = await self.case(cur.lastrowid or 0)
        assert case is not None
        return case

    async def update_case(
        self,
        case_id: int,
        *,
        priority: Priority | None = None,
        category: str | None = None,
        signals: Sequence[str] | None = None,
        details: dict[str, Any] | None = None,
        summary: str | None = None,
        escalated_at: datetime | None = None,
    ) -> None:
        fields: dict[str, Any] = {}
        if priority is not None:
            fields |= {"priority": priority.value, "priority_rank": priority.rank}
        if category is not None:
            fields["category"] = category
        if signals is not None:
            fields["signals"] = json.dumps(list(signals), ensure_ascii=False)
        if details is not None:
            fields["details"] = json.dumps(details, ensure_ascii=False)
        if summary is not None:
            fields["summary"] = summary
        if escalated_at is not None:
            fields["escalated_at"] = ts(escalated_at)
        if fields:
            assignments = ", ".join(f"{name} = ?" for name in fields)
            await self.db.execute(
                f"UPDATE cases SET {assignments} WHERE id = ?", (*fields.values(), case_id)
            )

    async def set_case_status(
        self, case_id: int, status: CaseStatus, at: datetime, *, outcome: str | None = None
    ) -> bool:
        allowed_from = [s.value for s, nxt in TRANSITIONS.items() if status in nxt]
        marks = ", ".join("?" for _ in allowed_from)
        closing = status in (CaseStatus.CLOSED, CaseStatus.CANCELLED)
        cur = await self.db.execute(
            f"UPDATE cases SET status = ?, outcome = COALESCE(?, outcome),"
            f" closed_at = CASE WHEN ? THEN ? ELSE closed_at END"
            f" WHERE id = ? AND status IN ({marks})",
            (status.value, outcome, closing, ts(at), case_id, *allowed_from),
        )
        return cur.rowcount == 1

    async def claim_case(self, case_id: int, counsellor_id: int, at: datetime) -> bool:
        # Atomic: only one UPDATE can move a case out of 'waiting'.
        cur = await self.db.execute(
            "UPDATE cases SET status = 'active', claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND status = 'waiting'",
            (counsellor_id, ts(at), case_id),
        )
        return cur.rowcount == 1

    async def _cases(self, where: str, params: Sequence[Any] = ()) -> list[Case]:
        rows = await rows_of(self.db, f"{CASE_SELECT} WHERE {where}", params)
        return [_case(r) for r in rows]

    async def cases_waiting(self) -> list[Case]:
        return await self._cases("c.status = 'waiting' ORDER BY c.priority_rank, c.created_at")

    async def cases_open(self) -> list[Case]:
        return await self._cases(
            "c.status IN ('waiting', 'active') ORDER BY c.priority_rank, c.created_at"
        )

    async def cases_since(self, at: datetime) -> list[Case]:
        return await self._cases("c.created_at >= ? ORDER BY c.id", (ts(at),))

    async def active_cases_of(self, counsellor_id: int) -> list[Case]:
        return await self._cases(
            "c.status = 'active' AND c.claimed_by = ? ORDER BY c.id", (counsellor_id,)
        )

    async def case_by_thread(self, thread_id: str) -> Case | None:
        return await self._one_case("c.thread_id = ? ORDER BY c.id DESC LIMIT 1", (thread_id,))

    async def queue_position(self, case_id: int) -> int:
        """1 for the case that will be taken next."""
        rows = await rows_of(self.db,
            "SELECT count(*) FROM cases o, cases c WHERE c.id = ? AND o.status = 'waiting'"
            " AND (o.priority_rank < c.priority_rank OR (o.priority_rank = c.priority_rank"
            " AND o.created_at <= c.created_at))",
            (case_id,),
        )
        row = rows[0] if rows else None
        return int(row[0]) if row else 0

    async def recent_waits(self, limit: int = 20) -> list[float]:
        """Seconds from opening to being claimed, for the latest claimed cases."""
        rows = await rows_of(self.db,
            "SELECT created_at, claimed_at FROM cases WHERE claimed_at IS NOT NULL"
            " ORDER BY claimed_at DESC LIMIT ?",
            (limit,),
        )
        return [
            ((parse_ts(r[1]) or datetime.now(UTC)) - (parse_ts(r[0]) or datetime.now(UTC)))
            .total_seconds()
            for r in rows
        ]

    async def set_claimant(self, case_id: int, counsellor_id: int) -> None:
        await self.db.execute(
            "UPDATE cases SET claimed_by = ? WHERE id = ?", (counsellor_id, case_id)
        )

    async def mark_first_reply(self, case_id: int, at: datetime) -> None:
        await self.db.execute(
            "UPDATE cases SET first_reply_at = ? WHERE id = ? AND first_reply_at IS NULL",
            (ts(at), case_id),
        )

    async def last_activity(self, case_id: int) -> datetime | None:
        rows = await rows_of(self.db,
            "SELECT max(created_at) FROM messages WHERE case_id = ?", (case_id,)
        )
        row = rows[0] if rows else None
        return parse_ts(row[0]) if row else None


class SqliteStore:
    """flows.store.Store on one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

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
        await self._migrate()

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
        rows = await rows_of(db, "SELECT number FROM schema_migrations")
        applied = {row[0] for row in rows}
        for number, name, sql in migrations():
            if number in applied:
                continue
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(sql):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (number, name, ts(datetime.now(UTC))),
                )
                await db.execute("COMMIT")
            except Exception:
                await db.execute("ROLLBACK")
                raise
            log.info("migration applied", extra={"event": "migration", "migration": name})

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTransaction(self.db)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def _write(self, sql: str, params: Sequence[Any]) -> None:
        async with self._lock:
            await self.db.execute(sql, params)

    async def _fetchall(self, sql: str, params: Sequence[Any]) -> list[aiosqlite.Row]:
        # Under the lock: on the shared connection a read would otherwise see the rows of
        # another task's transaction before it commits (or rolls back).
        async with self._lock:
            return await rows_of(self.db, sql, params)

    # ---------------------------------------------------------------- inbox

    async def record_inbound(self, events: Sequence[InboundEvent]) -> int:
        """Store raw events; returns how many were new. Duplicates are ignored.

        Autocommit, one statement: each row is durable on its own, which is all the inbox
        needs, and it costs one trip to the database thread.
        """
        if not events:
            return 0
        async with self._lock:
            before = self.db.total_changes
            await self.db.executemany(
                "INSERT INTO inbox (channel, event_id, payload, received_at) VALUES"
                " (?, ?, ?, ?) ON CONFLICT (channel, event_id) DO NOTHING",
                [(e.channel, e.event_id, e.payload, ts(e.received_at)) for e in events],
            )
            return self.db.total_changes - before

    async def unprocessed_inbound(self, channel: str) -> list[InboundEvent]:
        rows = await self._fetchall(
            "SELECT channel, event_id, payload, received_at FROM inbox"
            " WHERE channel = ? AND processed_at IS NULL AND payload != ''"
            " ORDER BY received_at, rowid",
            (channel,),
        )
        return [
            InboundEvent(r[0], r[1], r[2], parse_ts(r[3]) or datetime.now(UTC)) for r in rows
        ]

    # ---------------------------------------------------------------- outbox

    async def due_deliveries(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        # Only the oldest pending reply of each recipient is due, so a reply waiting for a
        # retry holds back the later ones to the same person and order is kept.
        rows = await self._fetchall(
            "SELECT * FROM outbox o WHERE o.channel = ? AND o.sent_at IS NULL"
            " AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel"
            " AND p.recipient = o.recipient AND p.sent_at IS NULL AND p.failed_at IS NULL"
            " AND p.id < o.id)"
            " ORDER BY o.priority_rank, o.id LIMIT ?",
            (channel, ts(now), limit),
        )
        return [
            Delivery(
                id=r["id"],
                channel=r["channel"],
                recipient=r["recipient"],
                message=outgoing_from_dict(json.loads(r["payload"])),
                attempts=r["attempts"],
                person_id=r["person_id"],
                case_id=r["case_id"],
                created_at=parse_ts(r["created_at"]) or now,
            )
            for r in rows
        ]

    async def mark_sent(self, delivery_id: int, at: datetime, ref: str = "") -> None:
        await self._write(
            "UPDATE outbox SET sent_at = ?, sent_ref = ?, attempts = attempts + 1 WHERE id = ?",
            (ts(at), ref, delivery_id),
        )

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        await self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ?",
            (error[:500], ts(next_attempt_at), delivery_id),
        )

    async def mark_undeliverable(self, delivery_id: int, error: str, at: datetime) -> None:
        await self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?"
            " WHERE id = ?",
            (error[:500], ts(at), delivery_id),
        )

    async def next_due_at(self, channel: str) -> datetime | None:
        rows = await self._fetchall(
            "SELECT min(next_attempt_at) FROM outbox WHERE channel = ? AND sent_at IS NULL"
            " AND failed_at IS NULL",
            (channel,),
        )
        return parse_ts(rows[0][0]) if rows else None

    # ---------------------------------------------------------------- reading

    async def find_person(self, channel: str, external_id: str) -> Person | None:
        rows = await self._fetchall(
            "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        return _person(rows[0]) if rows else None

    async def audit_entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]:
        rows = await self._fetchall(
            "SELECT at, actor, action, case_id, detail FROM audit_log WHERE at >= ? ORDER BY id",
            (ts(datetime.fromisoformat(since)) if since else "",),
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def last_message_from(self, person_id: int) -> datetime | None:
        rows = await self._fetchall(
            "SELECT max(created_at) FROM messages WHERE person_id = ? AND direction = 'in'",
            (person_id,),
        )
        return parse_ts(rows[0][0]) if rows else None

    async def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file and empty it, so that erased
        rows are not left behind in the -wal file (secure_delete zeroes them in the file)."""
        async with self._lock:
            await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def purge(self, now: datetime, policy: RetentionPolicy, *, dry_run: bool) -> PurgeReport:
        """Delete what is past its retention time (or, dry, count it). Erased means gone:
        rows are deleted, secure_delete zeroes them, and the files are compacted after."""

        def before(days: int) -> str:
            return ts(now - timedelta(days=days))

        case_rules = [(o, before(d)) for o, d in policy.outcome_days.items()]
        default_cut = before(policy.closed_case_days)
        # Closed cases: per-outcome cut-offs first, the default for every other outcome.
        case_where = " OR ".join(
            ["(outcome = ? AND closed_at < ?)" for _ in case_rules]
            + ["((outcome IS NULL OR outcome NOT IN (" + (",".join("?" for _ in case_rules)
               or "NULL") + ")) AND closed_at < ?)"]
        )
        case_params: list[Any] = [x for rule in case_rules for x in rule]
        case_params += [o for o, _ in case_rules] + [default_cut]
        conv = before(policy.conversation_days)
        kinds: list[tuple[str, str, Sequence[Any]]] = [
            ("case messages", "messages WHERE case_id IN (SELECT id FROM cases WHERE"
             f" status IN ('closed', 'cancelled') AND ({case_where}))", case_params),
            ("closed cases", f"cases WHERE status IN ('closed', 'cancelled') AND ({case_where})",
             case_params),
            ("conversations without a case", "messages WHERE case_id IS NULL AND created_at < ?",
             [conv]),
            ("answer feedback", "answer_feedback WHERE created_at < ?", [conv]),
            ("idle people", "people WHERE last_seen_at < ? AND NOT EXISTS (SELECT 1 FROM"
             " messages m WHERE m.person_id = people.id) AND NOT EXISTS (SELECT 1 FROM cases c"
             " WHERE c.person_id = people.id)", [conv]),
            ("audit log", "audit_log WHERE at < ?", [before(policy.audit_days)]),
            ("delivered replies", "outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)"
             " AND created_at < ?", [before(policy.delivery_days)]),
            ("handled events", "inbox WHERE processed_at IS NOT NULL AND received_at < ?",
             [before(policy.delivery_days)]),
        ]
        counts: dict[str, int] = {}
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for name, target, params in kinds:
                    rows = await rows_of(self.db,
                        f"SELECT count(*) FROM {target}", params
                    )
                    row = rows[0] if rows else None
                    counts[name] = int(row[0]) if row else 0
                    if not dry_run and counts[name]:
                        await self.db.execute(f"DELETE FROM {target}", params)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("ROLLBACK" if dry_run else "COMMIT")
            if not dry_run and any(counts.values()):
                await self.db.execute("VACUUM")
                await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PurgeReport(counts, dry_run)

    async def get_case(self, case_id: int) -> Case | None:
        rows = await self._fetchall(f"{CASE_SELECT} WHERE c.id = ?", (case_id,))
        return _case(rows[0]) if rows else None

    async def set_case_thread(self, case_id: int, thread_id: str) -> None:
        # A new topic has no card yet: forget the old one's message too.
        await self._write(
            "UPDATE cases SET thread_id = ?, card_ref = '' WHERE id = ?", (thread_id, case_id)
        )

    async def set_case_card(self, case_id: int, card_ref: str) -> None:
        await self._write("UPDATE cases SET card_ref = ? WHERE id = ?", (card_ref, case_id))

    async def earlier_cases(self, person_id: int, before_case: int) -> list[Case]:
        rows = await self._fetchall(
            f"{CASE_SELECT} WHERE c.person_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT 5",
            (person_id, before_case),
        )
        return [_case(r) for r in rows]

    async def messages_of(self, person_id: int, limit: int = 200) -> list[StoredMessage]:
        rows = await self._fetchall(
            "SELECT * FROM (SELECT * FROM messages WHERE person_id = ? ORDER BY id DESC LIMIT ?)"
            " ORDER BY id",
            (person_id, limit),
        )
        return [
            StoredMessage(
                id=r["id"],
                person_id=r["person_id"],
                direction=r["direction"],
                kind=r["kind"],
                text=r["text"],
                created_at=parse_ts(r["created_at"]) or datetime.now(UTC),
                case_id=r["case_id"],
            )
            for r in rows
        ]


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
