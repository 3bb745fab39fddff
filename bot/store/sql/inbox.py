"""The inbox: raw channel events kept before they are acted on, and which were handled."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.sql.rows import (
    SqlFamily,
    required_ts,
    ts,
)
from flows.store import (
    InboundEvent,
)


class InboxSql(SqlFamily):
    async def is_processed(self, channel: str, event_id: str) -> bool:
        rows = await self.ex.fetch(
            "SELECT processed_at FROM inbox WHERE channel = ? AND event_id = ?",
            (channel, event_id),
        )
        row = rows[0] if rows else None
        return row is not None and row[0] is not None

    async def mark_processed(self, channel: str, event_id: str, at: datetime) -> None:
        # The raw payload (text, names) is dropped once handled: only the id is needed to
        # recognise a redelivery. Events that never went through the inbox (console, tests)
        # are recorded here too, so a replay of the same id is still recognised.
        await self.ex.execute(
            "INSERT INTO inbox (channel, event_id, payload, received_at, processed_at)"
            " VALUES (?, ?, '', ?, ?) ON CONFLICT (channel, event_id)"
            " DO UPDATE SET processed_at = excluded.processed_at, payload = ''",
            (channel, event_id, ts(at), ts(at)),
        )

    async def earlier_unhandled(self, channel: str, event_id: str, person: str) -> bool:
        if not person:
            return False
        rows = await self.ex.fetch(
            "SELECT 1 FROM inbox WHERE channel = ? AND person_key = ? AND processed_at IS NULL"
            " AND payload != '' AND rowid < (SELECT rowid FROM inbox WHERE channel = ?"
            " AND event_id = ?) LIMIT 1",
            (channel, person, channel, event_id),
        )
        return bool(rows)

    async def unprocessed(self, channel: str) -> list[InboundEvent]:
        rows = await self.ex.fetch(
            "SELECT channel, event_id, payload, received_at, person_key FROM inbox"
            " WHERE channel = ? AND processed_at IS NULL AND payload != ''"
            " ORDER BY received_at, rowid",
            (channel,),
        )
        return [
            InboundEvent(r[0], r[1], r[2], required_ts(r[3]), r[4]) for r in rows
        ]

    async def claim(
        self, channel: str, worker: str, lease: timedelta,
        received_before: datetime | None = None,
    ) -> list[InboundEvent]:
        """Lease the kept events not yet handled (to replay them after a crash), oldest
        first; with `received_before`, only those kept before then (the ones an instance
        that died left behind, not those a live one is handling now). Two instances
        claiming together get each event once; an event another instance is still handling
        may be claimed too, and is then recognised as a duplicate inside the unit of work
        (`is_processed`)."""
        now = self.clock()
        before = "" if received_before is None else " AND received_at < ?"
        rows = await self.ex.fetch(
            "UPDATE inbox SET lease_owner = ?, lease_until = ? WHERE channel = ?"
            f" AND processed_at IS NULL AND payload != ''{before}"
            " AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"
            " RETURNING channel, event_id, payload, received_at, rowid, person_key",
            (worker, ts(now + lease), channel,
             *(() if received_before is None else (ts(received_before),)), ts(now), worker),
        )
        ordered = sorted(rows, key=lambda r: (r["received_at"], r["rowid"]))
        return [InboundEvent(r[0], r[1], r[2], required_ts(r[3]), r[5]) for r in ordered]
