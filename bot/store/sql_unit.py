"""The unit of work handed to flows (flows.store.Transaction), in portable SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.sql import CASE_SELECT, Executor, _case, _person, parse_ts, required_ts, ts
from flows.cases import TRANSITIONS, Case, CaseStatus
from flows.messages import Outgoing, Priority, outgoing_to_dict
from flows.ports import Clock
from flows.store import (
    UNANSWERED_KINDS,
    Correction,
    DataSummary,
    Erasure,
    GapCounts,
    Person,
    StoredMessage,
)


class SqlTransaction:
    """The unit of work handed to flows (flows.store.Transaction), in portable SQL."""

    def __init__(self, ex: Executor, clock: Clock) -> None:
        self.ex = ex
        self.clock = clock  # the store's, for stamps the flows do not pass (first/last seen)

    async def person(self, channel: str, external_id: str, first_name: str = "") -> Person:
        now = ts(self.clock())
        rows = await self.ex.fetch(
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
        rows = await self.ex.fetch(
            "INSERT INTO messages (person_id, case_id, direction, kind, text, meta, event_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (person_id, case_id, direction, kind, text, json.dumps(meta or {}), event_id, ts(at)),
        )
        return int(rows[0]["id"])

    async def link_message(self, message_id: int, case_id: int) -> None:
        await self.ex.execute(
            "UPDATE messages SET case_id = ? WHERE id = ?", (case_id, message_id)
        )

    async def set_flow(self, person_id: int, flow: str, data: dict[str, Any]) -> None:
        await self.ex.execute(
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

    async def audit(
        self, actor: str, action: str, at: datetime, *, case_id: int | None = None, detail: str = ""
    ) -> None:
        await self.ex.execute(
            "INSERT INTO audit_log (at, actor, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
            (ts(at), actor, action, case_id, detail),
        )


    async def add_feedback(
        self, person_id: int, article_id: str, helpful: bool, question: str, at: datetime
    ) -> None:
        await self.ex.execute(
            "INSERT INTO answer_feedback (person_id, article_id, helpful, question, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (person_id, article_id, int(helpful), question, ts(at)),
        )

    async def add_correction(self, correction: Correction) -> None:
        c = correction
        await self.ex.execute(
            "INSERT INTO triage_corrections (case_id, triage_priority, triage_category,"
            " triage_layer, priority, category, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (c.case_id, c.triage_priority.value, c.triage_category, c.triage_layer,
             c.priority.value, c.category, c.actor, ts(c.at)),
        )

    async def add_unanswered(
        self, person_id: int, question: str, nearest_article: str | None, kind: str, at: datetime
    ) -> None:
        if kind not in UNANSWERED_KINDS:
            raise ValueError(f"unanswered kind must be one of {', '.join(UNANSWERED_KINDS)},"
                             f" got {kind!r}")
        await self.ex.execute(
            "INSERT INTO unanswered_questions (person_id, question, nearest_article, kind,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (person_id, question, nearest_article or None, kind, ts(at)),
        )

    async def gap_counts(self, since: datetime) -> GapCounts:
        rows = await self.ex.fetch(
            "SELECT (SELECT count(*) FROM unanswered_questions WHERE created_at >= ?),"
            " (SELECT count(*) FROM answer_feedback WHERE helpful = 0 AND created_at >= ?)",
            (ts(since), ts(since)),
        )
        return GapCounts(int(rows[0][0]), int(rows[0][1]))


    # ---------------------------------------------------------------- privacy

    async def set_consent(self, person_id: int, at: datetime | None) -> None:
        await self.ex.execute(
            "UPDATE people SET consent_at = ? WHERE id = ?", (ts(at) if at else None, person_id)
        )

    async def data_summary(self, person_id: int) -> DataSummary:
        rows = await self.ex.fetch(
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
        rows = await self.ex.fetch(
            "SELECT * FROM (SELECT * FROM messages WHERE person_id = ? AND direction = 'in'"
            " AND text != '' ORDER BY id DESC LIMIT ?) ORDER BY id",
            (person_id, limit),
        )
        return [
            StoredMessage(r["id"], r["person_id"], r["direction"], r["kind"], r["text"],
                          required_ts(r["created_at"]), r["case_id"])
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
        rows = await self.ex.fetch(
            f"SELECT id, thread_id FROM cases WHERE person_id = ? AND id NOT IN ({marks})",
            (person_id, *keep),
        )
        erased = [(r[0], r[1]) for r in rows]
        erased_ids = [cid for cid, _ in erased]
        if erased_ids:
            # Staff posts and relays of those cases hold the person's words too. Before the
            # cases go: deleting a case would only unlink them (ON DELETE SET NULL).
            await self.ex.execute(
                f"DELETE FROM outbox WHERE case_id IN ({','.join('?' for _ in erased_ids)})",
                erased_ids,
            )
        messages = await self.ex.execute(
            f"DELETE FROM messages WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        # Corrections for the triage export go with their cases (explicitly: the export
        # must never keep a case the person erased, whatever the foreign keys say).
        await self.ex.execute(
            f"DELETE FROM triage_corrections WHERE case_id IN (SELECT id FROM cases"
            f" WHERE person_id = ? AND id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.ex.execute(
            f"DELETE FROM cases WHERE person_id = ? AND id NOT IN ({marks})", (person_id, *keep)
        )
        await self.ex.execute("DELETE FROM answer_feedback WHERE person_id = ?", (person_id,))
        await self.ex.execute(
            "DELETE FROM unanswered_questions WHERE person_id = ?", (person_id,)
        )
        await self.ex.execute(
            "DELETE FROM offered_buttons WHERE EXISTS (SELECT 1 FROM people p WHERE p.id = ?"
            " AND p.channel = offered_buttons.channel"
            " AND p.external_id = offered_buttons.recipient)",
            (person_id,),
        )
        # Replies too, sent or not (a greeting holds the name), except a kept case's.
        await self.ex.execute(
            f"DELETE FROM outbox WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.ex.execute(
            "UPDATE people SET first_name = '', flow = 'menu', flow_data = '{}',"
            " consent_at = NULL WHERE id = ?",
            (person_id,),
        )
        return Erasure(messages, len(erased), tuple(k for k in keep if k != -1),
                       tuple((cid, thread) for cid, thread in erased if thread))

    # ---------------------------------------------------------------- cases

    async def _one_case(self, where: str, params: Sequence[Any]) -> Case | None:
        rows = await self.ex.fetch( f"{CASE_SELECT} WHERE {where}", params)
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
        case = await self.case(int(rows[0]["id"]))
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
            await self.ex.execute(
                f"UPDATE cases SET {assignments} WHERE id = ?", (*fields.values(), case_id)
            )

    async def set_case_status(
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

    async def claim_case(self, case_id: int, counsellor_id: int, at: datetime) -> bool:
        # Atomic: only one UPDATE can move a case out of 'waiting'.
        changed = await self.ex.execute(
            "UPDATE cases SET status = 'active', claimed_by = ?, claimed_at = ?"
            " WHERE id = ? AND status = 'waiting'",
            (counsellor_id, ts(at), case_id),
        )
        return changed == 1

    async def _cases(self, where: str, params: Sequence[Any] = ()) -> list[Case]:
        rows = await self.ex.fetch( f"{CASE_SELECT} WHERE {where}", params)
        return [_case(r) for r in rows]

    async def cases_waiting(self) -> list[Case]:
        # Ties in time go by id: the order the queue shows is the order cases are taken in.
        return await self._cases(
            "c.status = 'waiting' ORDER BY c.priority_rank, c.created_at, c.id")

    async def cases_open(self) -> list[Case]:
        return await self._cases(
            "c.status IN ('waiting', 'active') ORDER BY c.priority_rank, c.created_at, c.id"
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
