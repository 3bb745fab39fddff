"""The cases table: requests for a human, the queue, claims, the staff topic of each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.sql.rows import (
    CASE_SELECT,
    SqlFamily,
    _case,
    parse_ts,
    required_ts,
    ts,
)
from flows.cases import TRANSITIONS, Case, CaseStatus
from flows.messages import Priority


class CasesSql(SqlFamily):
    async def _one(self, where: str, params: Sequence[Any]) -> Case | None:
        rows = await self.ex.fetch( f"{CASE_SELECT} WHERE {where}", params)
        row = rows[0] if rows else None
        return _case(row) if row else None

    async def _many(self, where: str, params: Sequence[Any] = ()) -> list[Case]:
        rows = await self.ex.fetch( f"{CASE_SELECT} WHERE {where}", params)
        return [_case(r) for r in rows]

    async def get(self, case_id: int) -> Case | None:
        return await self._one("c.id = ?", (case_id,))

    async def open_of(self, person_id: int) -> Case | None:
        return await self._one(
            "c.person_id = ? AND c.status IN ('waiting', 'active') ORDER BY c.id DESC LIMIT 1",
            (person_id,),
        )

    async def create(
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
        rows = await self.ex.fetch(
            "INSERT INTO cases (person_id, status, priority, priority_rank, category, topic,"
            " summary, signals, details, created_at) VALUES (?, 'waiting', ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                person_id, priority.value, priority.rank, category, topic, summary,
                json.dumps(list(signals), ensure_ascii=False),
                json.dumps(details or {}, ensure_ascii=False), ts(at),
            ),
        )
        case = await self.get(int(rows[0]["id"]))
        assert case is not None
        return case

    async def update(
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
            await self.ex.execute(
                f"UPDATE cases SET {assignments} WHERE id = ?", (*fields.values(), case_id)
            )

    async def set_status(
        self, case_id: int, status: CaseStatus, at: datetime, *, outcome: str | None = None
    ) -> bool:
        allowed_from = [s.value for s, nxt in TRANSITIONS.items() if status in nxt]
        if not allowed_from:  # no case ever goes back to waiting (and `IN ()` is not SQL)
            return False
        marks = ", ".join("?" for _ in allowed_from)
        closing = status in (CaseStatus.CLOSED, CaseStatus.CANCELLED)
        changed = await self.ex.execute(
            f"UPDATE cases SET status = ?, outcome = COALESCE(?, outcome),"
            f" closed_at = CASE WHEN ? THEN ? ELSE closed_at END"
            f" WHERE id = ? AND status IN ({marks})",
            (status.value, outcome, closing, ts(at), case_id, *allowed_from),
        )
        return changed == 1

    async def claim(self, case_id: int, counsellor_id: int, at: datetime) -> bool:
        # Atomic: only one UPDATE can move a case out of 'waiting'.
        changed = await self.ex.execute(
            "UPDATE cases SET status = 'active', claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND status = 'waiting'",
            (counsellor_id, ts(at), case_id),
        )
        return changed == 1

    async def waiting(self) -> list[Case]:
        # Ties in time go by id: the order the queue shows is the order cases are taken in.
        return await self._many(
            "c.status = 'waiting' ORDER BY c.priority_rank, c.created_at, c.id")

    async def open(self) -> list[Case]:
        return await self._many(
            "c.status IN ('waiting', 'active') ORDER BY c.priority_rank, c.created_at, c.id"
        )

    async def since(self, at: datetime) -> list[Case]:
        return await self._many("c.created_at >= ? ORDER BY c.id", (ts(at),))

    async def active_of(self, counsellor_id: int) -> list[Case]:
        return await self._many(
            "c.status = 'active' AND c.claimed_by = ? ORDER BY c.id", (counsellor_id,)
        )

    async def by_thread(self, thread_id: str) -> Case | None:
        return await self._one("c.thread_id = ? ORDER BY c.id DESC LIMIT 1", (thread_id,))

    async def queue_position(self, case_id: int) -> int:
        """1 for the case that will be taken next."""
        rows = await self.ex.fetch(
            "SELECT count(*) FROM cases o, cases c WHERE c.id = ? AND o.status = 'waiting'"
            " AND (o.priority_rank < c.priority_rank OR (o.priority_rank = c.priority_rank"
            " AND (o.created_at < c.created_at OR (o.created_at = c.created_at"
            " AND o.id <= c.id))))",
            (case_id,),
        )
        row = rows[0] if rows else None
        return int(row[0]) if row else 0

    async def recent_waits(self, limit: int = 20) -> list[float]:
        """Seconds from opening to being claimed, for the latest claimed cases."""
        rows = await self.ex.fetch(
            "SELECT created_at, claimed_at FROM cases WHERE claimed_at IS NOT NULL"
            " ORDER BY claimed_at DESC LIMIT ?",
            (limit,),
        )
        return [
            (required_ts(r[1]) - required_ts(r[0])).total_seconds()
            for r in rows
        ]

    async def set_claimant(self, case_id: int, counsellor_id: int) -> None:
        await self.ex.execute(
            "UPDATE cases SET claimed_by = ? WHERE id = ?", (counsellor_id, case_id)
        )

    async def mark_first_reply(self, case_id: int, at: datetime) -> None:
        await self.ex.execute(
            "UPDATE cases SET first_reply_at = ? WHERE id = ? AND first_reply_at IS NULL",
            (ts(at), case_id),
        )

    async def last_activity(self, case_id: int) -> datetime | None:
        rows = await self.ex.fetch(
            "SELECT max(created_at) FROM messages WHERE case_id = ?", (case_id,)
        )
        row = rows[0] if rows else None
        return parse_ts(row[0]) if row else None

    async def set_thread(self, case_id: int, thread_id: str) -> None:
        # A new topic has no card yet: forget the old one's message too.
        await self.ex.execute(
            "UPDATE cases SET thread_id = ?, card_ref = '' WHERE id = ?", (thread_id, case_id)
        )

    async def set_card(self, case_id: int, card_ref: str) -> None:
        await self.ex.execute("UPDATE cases SET card_ref = ? WHERE id = ?", (card_ref, case_id))

    async def earlier(self, person_id: int, before_case: int) -> list[Case]:
        rows = await self.ex.fetch(
            f"{CASE_SELECT} WHERE c.person_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT 5",
            (person_id, before_case),
        )
        return [_case(r) for r in rows]
