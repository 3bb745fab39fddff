"""The outbox: replies waiting to be sent, leased to the worker sending them; and the buttons
offered where a channel has none (Zalo's are text), to read a typed label back as the press."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.store.sql.rows import (
    FIRST_PENDING,
    SqlFamily,
    _delivery,
    parse_ts,
    ts,
)
from flows.messages import Outgoing, outgoing_to_dict
from flows.store import (
    Delivery,
)

# A reply's lease ends with the worker's verdict on it (sent, retry later, undeliverable).
UNLEASED = "lease_owner = NULL, lease_until = NULL"

# The rows due now: not sent, not given up, their time has come, their recipient's first
# pending reply, and not leased to another worker (a worker's own leases are rows it left
# unfinished, by a crash: taken back at once on restart, since a worker keeps its name in its
# next life).
DUE = (
    "o.channel = ? AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?"
    " AND (o.lease_until IS NULL OR o.lease_until <= ? OR o.lease_owner = ?)"
    f" AND {FIRST_PENDING}"
)


class OutboxSql(SqlFamily):
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
        rows = await self.ex.fetch(
            "INSERT INTO outbox (channel, recipient, person_id, case_id, priority_rank, payload,"
            " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        return int(rows[0]["id"])

    async def due(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        rows = await self.ex.fetch(
            "SELECT * FROM outbox o WHERE o.channel = ? AND o.sent_at IS NULL"
            f" AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND {FIRST_PENDING}"
            " ORDER BY o.priority_rank, o.id LIMIT ?",
            (channel, ts(now), limit),
        )
        return [_delivery(r) for r in rows]

    async def deliveries(self, channel: str) -> list[tuple[Delivery, datetime | None]]:
        """Every reply the outbox holds for a channel, oldest first, with when it was sent
        (None while it waits or once given up)."""
        rows = await self.ex.fetch(
            "SELECT * FROM outbox WHERE channel = ? ORDER BY id", (channel,)
        )
        return [(_delivery(r), parse_ts(r["sent_at"])) for r in rows]

    async def claim(
        self, channel: str, worker: str, lease: timedelta, limit: int = 10
    ) -> list[Delivery]:
        """Lease the replies due now to `worker`, most urgent first: each is handed to one
        worker until it is marked sent, retried or undeliverable, or the lease runs out."""
        now = self.clock()
        rows = await self.ex.fetch(
            "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN"
            f" (SELECT o.id FROM outbox o WHERE {DUE} ORDER BY o.priority_rank, o.id LIMIT ?"
            f"{self.ex.claim_lock})"
            " RETURNING *",
            (worker, ts(now + lease), channel, ts(now), ts(now), worker, limit),
        )
        # RETURNING gives rows in no promised order.
        ordered = sorted(rows, key=lambda r: (r["priority_rank"], r["id"]))
        return [_delivery(r) for r in ordered]

    async def take_back(self, channel: str, worker: str) -> int:
        """End every lease another worker holds on the channel's unsent replies, for the
        worker that now alone sends on it (the one before died or lost its turn): they are
        due again at once rather than when the dead worker's lease would have run out.
        How many were taken back."""
        return await self.ex.execute(
            f"UPDATE outbox SET {UNLEASED} WHERE channel = ? AND sent_at IS NULL"
            " AND failed_at IS NULL AND lease_owner IS NOT NULL AND lease_owner != ?",
            (channel, worker),
        )

    async def mark_sent(self, delivery_id: int, at: datetime, ref: str = "") -> None:
        await self.ex.execute(
            "UPDATE outbox SET sent_at = ?, sent_ref = ?, attempts = attempts + 1,"
            f" {UNLEASED} WHERE id = ?",
            (ts(at), ref, delivery_id),
        )

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        await self.ex.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            f" {UNLEASED} WHERE id = ?",
            (error[:500], ts(next_attempt_at), delivery_id),
        )

    async def mark_undeliverable(self, delivery_id: int, error: str, at: datetime) -> None:
        await self.ex.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?,"
            f" {UNLEASED} WHERE id = ?",
            (error[:500], ts(at), delivery_id),
        )

    async def next_due_at(self, channel: str) -> datetime | None:
        rows = await self.ex.fetch(
            # Only a recipient's first pending reply can be due (the later ones wait for it),
            # and a leased one only when its lease runs out: counting the others would wake
            # the worker to find nothing, again and again.
            "SELECT min(CASE WHEN o.lease_until > o.next_attempt_at THEN o.lease_until"
            " ELSE o.next_attempt_at END) FROM outbox o WHERE o.channel = ?"
            f" AND o.sent_at IS NULL AND o.failed_at IS NULL AND {FIRST_PENDING}",
            (channel,),
        )
        return parse_ts(rows[0][0]) if rows else None

    async def remember_buttons(
        self, channel: str, recipient: str, buttons: Sequence[tuple[str, str]], at: datetime
    ) -> None:
        """The latest offer of a label wins: it is the one on the person's screen."""
        for label, data in buttons:
            await self.ex.execute(
                "INSERT INTO offered_buttons (channel, recipient, label, data, offered_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, recipient, label) DO UPDATE SET"
                " data = excluded.data, offered_at = excluded.offered_at",
                (channel, recipient, label, data, ts(at)),
            )

    async def offered_button(self, channel: str, recipient: str, label: str) -> str | None:
        rows = await self.ex.fetch(
            "SELECT data FROM offered_buttons WHERE channel = ? AND recipient = ? AND label = ?",
            (channel, recipient, label),
        )
        return str(rows[0][0]) if rows else None
