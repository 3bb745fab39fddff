"""The SQLite store on real temporary files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Core, wall_clock
from bot.store.schema import migrations
from bot.store.sqlite import SqliteStore
from flows.messages import Outgoing, Priority
from flows.store import InboundEvent
from tests.factories import make_incoming


async def open_store(path: Path) -> SqliteStore:
    store = SqliteStore(path, wall_clock)  # the tests below date their rows by it too
    await store.open()
    return store


async def test_opening_applies_every_migration_once(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.close()
    store = await open_store(db_path)  # a second start must not re-run them
    await store.close()
    rows = sqlite3.connect(db_path).execute("SELECT number FROM schema_migrations").fetchall()
    assert [r[0] for r in rows] == [m.number for m in migrations("sqlite")]


async def test_wal_and_foreign_keys_are_on(db_path: Path) -> None:
    store = await open_store(db_path)
    async with store.db.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
    async with store.db.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    await store.close()


async def test_a_conversation_survives_a_restart(db_path: Path) -> None:
    now = datetime.now(UTC)
    store = await open_store(db_path)
    async with store.transaction() as tx:
        person = await tx.people.get("telegram", "42", "Lan")
        await tx.people.set_flow(person.id, "policy", {"last_question": "trợ cấp"})
        await tx.messages.add(person.id, "in", "text", "trợ cấp người cao tuổi", now)
    await store.close()

    store = await open_store(db_path)
    person2 = await store.views.person("telegram", "42")
    assert person2 is not None
    assert person2.flow == "policy" and person2.flow_data == {"last_question": "trợ cấp"}
    assert [m.text for m in await store.views.history(person2.id)] == ["trợ cấp người cao tuổi"]
    await store.close()


async def test_a_failed_unit_of_work_leaves_nothing_behind(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        async with store.transaction() as tx:
            person = await tx.people.get("telegram", "7")
            await tx.outbox.enqueue("telegram", "7", Outgoing("x"), datetime.now(UTC),
                                    person_id=person.id)
            raise RuntimeError("crash in the middle")
    except RuntimeError:
        pass
    assert await store.views.person("telegram", "7") is None
    assert await store.outbox.due("telegram", datetime.now(UTC), 10) == []
    await store.close()


async def test_inbox_keeps_unprocessed_events_and_ignores_duplicates(db_path: Path) -> None:
    store = await open_store(db_path)
    now = datetime.now(UTC)
    events = [InboundEvent("telegram", str(i), f'{{"update_id": {i}}}', now) for i in (1, 2, 3)]
    assert await store.record_inbound(events) == 3
    assert await store.record_inbound(events[:2]) == 0  # a redelivery adds nothing
    async with store.transaction() as tx:
        await tx.inbox.mark_processed("telegram", "2", now)
    pending = await store.inbox.unprocessed("telegram")
    assert [e.event_id for e in pending] == ["1", "3"]
    await store.close()


async def test_outbox_serves_urgent_first_but_keeps_each_persons_order(db_path: Path) -> None:
    store = await open_store(db_path)
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        await tx.outbox.enqueue("telegram", "1", Outgoing("a1"), now)
        await tx.outbox.enqueue("telegram", "1", Outgoing("a2", priority=Priority.CRITICAL), now)
        await tx.outbox.enqueue("telegram", "2", Outgoing("b1", priority=Priority.CRITICAL), now)
    due = await store.outbox.due("telegram", now, 10)
    # Person 2's critical reply goes first; person 1's second reply waits for the first.
    assert [d.message.text for d in due] == ["b1", "a1"]
    await store.outbox.mark_retry(due[1].id, "timed out", now + timedelta(seconds=30))
    due = await store.outbox.due("telegram", now, 10)
    assert [d.message.text for d in due] == ["b1"]  # a2 still waits behind a1's retry
    await store.outbox.mark_sent(due[0].id, now)
    later = await store.outbox.due("telegram", now + timedelta(seconds=31), 10)
    assert [d.message.text for d in later] == ["a1"]
    await store.close()


async def test_the_audit_log_cannot_be_edited(desk_core: Core, db_path: Path) -> None:
    """Refused by the database itself (a trigger), whatever connection tries: the store's
    promise, not the flows'."""
    await desk_core.dispatcher.handle(make_incoming("chong em dang danh em"))
    db = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'someone else'")
