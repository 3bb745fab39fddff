"""The SQLite store on real temporary files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import wall_clock
from bot.store.schema import migrations
from bot.store.sqlite import SqliteStore
from flows.messages import Outgoing, Priority
from flows.store import InboundEvent


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
        person = await tx.person("telegram", "42", "Lan")
        await tx.set_flow(person.id, "policy", {"last_question": "trợ cấp"})
        await tx.add_message(person.id, "in", "text", "trợ cấp người cao tuổi", now)
    await store.close()

    store = await open_store(db_path)
    person2 = await store.find_person("telegram", "42")
    assert person2 is not None
    assert person2.flow == "policy" and person2.flow_data == {"last_question": "trợ cấp"}
    assert [m.text for m in await store.messages_of(person2.id)] == ["trợ cấp người cao tuổi"]
    await store.close()


async def test_a_failed_unit_of_work_leaves_nothing_behind(db_path: Path) -> None:
    store = await open_store(db_path)
    try:
        async with store.transaction() as tx:
            person = await tx.person("telegram", "7")
            await tx.enqueue("telegram", "7", Outgoing("x"), datetime.now(UTC), person_id=person.id)
            raise RuntimeError("crash in the middle")
    except RuntimeError:
        pass
    assert await store.find_person("telegram", "7") is None
    assert await store.due_deliveries("telegram", datetime.now(UTC), 10) == []
    await store.close()


async def test_inbox_keeps_unprocessed_events_and_ignores_duplicates(db_path: Path) -> None:
    store = await open_store(db_path)
    now = datetime.now(UTC)
    events = [InboundEvent("telegram", str(i), f'{{"update_id": {i}}}', now) for i in (1, 2, 3)]
    assert await store.record_inbound(events) == 3
    assert await store.record_inbound(events[:2]) == 0  # a redelivery adds nothing
    async with store.transaction() as tx:
        await tx.mark_processed("telegram", "2", now)
    pending = await store.unprocessed_inbound("telegram")
    assert [e.event_id for e in pending] == ["1", "3"]
    await store.close()


async def test_outbox_serves_urgent_first_but_keeps_each_persons_order(db_path: Path) -> None:
    store = await open_store(db_path)
    now = datetime.now(UTC)
    async with store.transaction() as tx:
        await tx.enqueue("telegram", "1", Outgoing("a1"), now)
        await tx.enqueue("telegram", "1", Outgoing("a2", priority=Priority.CRITICAL), now)
        await tx.enqueue("telegram", "2", Outgoing("b1", priority=Priority.CRITICAL), now)
    due = await store.due_deliveries("telegram", now, 10)
    # Person 2's critical reply goes first; person 1's second reply waits for the first.
    assert [d.message.text for d in due] == ["b1", "a1"]
    await store.mark_retry(due[1].id, "timed out", now + timedelta(seconds=30))
    due = await store.due_deliveries("telegram", now, 10)
    assert [d.message.text for d in due] == ["b1"]  # a2 still waits behind a1's retry
    await store.mark_sent(due[0].id, now)
    later = await store.due_deliveries("telegram", now + timedelta(seconds=31), 10)
    assert [d.message.text for d in later] == ["a1"]
    await store.close()
