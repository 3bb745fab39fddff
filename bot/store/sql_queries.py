"""Single statements outside a unit of work (inbox, outbox, reading for people and staff)
and the retention purge's targets, in portable SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.store.sql import (
    CASE_SELECT,
    FIRST_PENDING,
    Executor,
    _case,
    _delivery,
    _person,
    parse_ts,
    required_ts,
    ts,
)
from flows.cases import Case
from flows.messages import Priority
from flows.retention import RetentionPolicy
from flows.store import (
    CorrectedCase,
    Correction,
    Delivery,
    GapQuestion,
    InboundEvent,
    Person,
    StoredMessage,
)

# A reply's lease ends with the worker's verdict on it (sent, retry later, undeliverable).
UNLEASED = "lease_owner = NULL, lease_until = NULL"


class SqlQueries:
    """Mixed into a store; `ex` runs each statement on its own (the store serialises them)."""

    ex: Executor

    async def unprocessed_inbound(self, channel: str) -> list[InboundEvent]:
        rows = await self.ex.fetch(
            "SELECT channel, event_id, payload, received_at FROM inbox"
            " WHERE channel = ? AND processed_at IS NULL AND payload != ''"
            " ORDER BY received_at, rowid",
            (channel,),
        )
        return [
            InboundEvent(r[0], r[1], r[2], required_ts(r[3])) for r in rows
        ]

    async def due_deliveries(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        rows = await self.ex.fetch(
            "SELECT * FROM outbox o WHERE o.channel = ? AND o.sent_at IS NULL"
            f" AND o.failed_at IS NULL AND o.next_attempt_at <= ? AND {FIRST_PENDING}"
            " ORDER BY o.priority_rank, o.id LIMIT ?",
            (channel, ts(now), limit),
        )
        return [_delivery(r) for r in rows]

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

    async def find_person(self, channel: str, external_id: str) -> Person | None:
        rows = await self.ex.fetch(
            "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        return _person(rows[0]) if rows else None

    async def audit_entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]:
        rows = await self.ex.fetch(
            "SELECT at, actor, action, case_id, detail FROM audit_log WHERE at >= ? ORDER BY id",
            (ts(datetime.fromisoformat(since)) if since else "",),
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def last_message_from(self, person_id: int) -> datetime | None:
        rows = await self.ex.fetch(
            "SELECT max(created_at) FROM messages WHERE person_id = ? AND direction = 'in'",
            (person_id,),
        )
        return parse_ts(rows[0][0]) if rows else None

    async def get_case(self, case_id: int) -> Case | None:
        rows = await self.ex.fetch(f"{CASE_SELECT} WHERE c.id = ?", (case_id,))
        return _case(rows[0]) if rows else None

    async def set_case_thread(self, case_id: int, thread_id: str) -> None:
        # A new topic has no card yet: forget the old one's message too.
        await self.ex.execute(
            "UPDATE cases SET thread_id = ?, card_ref = '' WHERE id = ?", (thread_id, case_id)
        )

    async def set_case_card(self, case_id: int, card_ref: str) -> None:
        await self.ex.execute("UPDATE cases SET card_ref = ? WHERE id = ?", (card_ref, case_id))

    async def earlier_cases(self, person_id: int, before_case: int) -> list[Case]:
        rows = await self.ex.fetch(
            f"{CASE_SELECT} WHERE c.person_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT 5",
            (person_id, before_case),
        )
        return [_case(r) for r in rows]

    async def messages_of(self, person_id: int, limit: int = 200) -> list[StoredMessage]:
        rows = await self.ex.fetch(
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
                created_at=required_ts(r["created_at"]),
                case_id=r["case_id"],
            )
            for r in rows
        ]

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]:
        """Each corrected case with its latest correction and the person's own words in that
        case up to it (typed text and captions; no commands, no button presses)."""
        rows = await self.ex.fetch(
            "SELECT t.*, p.first_name FROM triage_corrections t"
            " JOIN cases c ON c.id = t.case_id JOIN people p ON p.id = c.person_id"
            " WHERE t.id IN (SELECT max(id) FROM triage_corrections GROUP BY case_id)"
            " AND t.at >= ? ORDER BY t.at, t.id",
            (ts(since) if since else "",),
        )
        out = []
        for r in rows:
            texts = await self.ex.fetch(
                "SELECT text FROM messages WHERE case_id = ? AND direction = 'in'"
                " AND kind != 'button' AND text != '' AND text NOT LIKE '/%' AND created_at <= ?"
                " ORDER BY id",
                (r["case_id"], r["at"]),
            )
            correction = Correction(
                case_id=r["case_id"],
                triage_priority=Priority(r["triage_priority"]),
                triage_category=r["triage_category"],
                triage_layer=r["triage_layer"],
                priority=Priority(r["priority"]),
                category=r["category"],
                actor=r["actor"],
                at=required_ts(r["at"]),
            )
            out.append(CorrectedCase(correction, tuple(t[0] for t in texts), r["first_name"]))
        return out

    async def gap_questions(self, since: datetime) -> list[GapQuestion]:
        rows = await self.ex.fetch(
            "SELECT u.kind, u.nearest_article, u.question, p.first_name, u.created_at"
            " FROM unanswered_questions u JOIN people p ON p.id = u.person_id"
            " WHERE u.created_at >= ?"
            " UNION ALL SELECT 'unhelpful', f.article_id, f.question,"
            " COALESCE(p.first_name, ''), f.created_at"
            " FROM answer_feedback f LEFT JOIN people p ON p.id = f.person_id"
            " WHERE f.helpful = 0 AND f.created_at >= ?"
            " ORDER BY 5",
            (ts(since), ts(since)),
        )
        return [GapQuestion(r[0], r[1] or None, r[2], r[3], required_ts(r[4])) for r in rows]

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


def purge_targets(now: datetime, policy: RetentionPolicy) -> list[tuple[str, str, list[Any]]]:
    """(kind, "table WHERE …", parameters) of everything past its retention time, in an order
    that deletes children before parents."""

    def before(days: int) -> str:
        return ts(now - timedelta(days=days))

    # Closed cases: per-outcome cut-offs first, the default cut-off for every other outcome.
    rules = [(outcome, before(days)) for outcome, days in policy.outcome_days.items()]
    clauses = ["(outcome = ? AND closed_at < ?)" for _ in rules]
    params: list[Any] = [value for rule in rules for value in rule]
    if rules:  # `outcome NOT IN ()` is not SQL, and NOT IN (NULL) would match nothing
        marks = ",".join("?" for _ in rules)
        clauses.append(f"((outcome IS NULL OR outcome NOT IN ({marks})) AND closed_at < ?)")
        params += [outcome for outcome, _ in rules]
    else:
        clauses.append("(closed_at < ?)")
    params.append(before(policy.closed_case_days))
    closed = f"status IN ('closed', 'cancelled') AND ({' OR '.join(clauses)})"
    conversation = before(policy.conversation_days)
    delivery = before(policy.delivery_days)
    return [
        ("case messages", f"messages WHERE case_id IN (SELECT id FROM cases WHERE {closed})",
         params),
        ("triage corrections",
         f"triage_corrections WHERE case_id IN (SELECT id FROM cases WHERE {closed})", params),
        ("closed cases", f"cases WHERE {closed}", params),
        ("conversations without a case", "messages WHERE case_id IS NULL AND created_at < ?",
         [conversation]),
        ("answer feedback", "answer_feedback WHERE created_at < ?", [conversation]),
        ("unanswered questions", "unanswered_questions WHERE created_at < ?", [conversation]),
        ("idle people", "people WHERE last_seen_at < ? AND NOT EXISTS (SELECT 1 FROM messages m"
         " WHERE m.person_id = people.id) AND NOT EXISTS (SELECT 1 FROM cases c"
         " WHERE c.person_id = people.id)", [conversation]),
        ("audit log", "audit_log WHERE at < ?", [before(policy.audit_days)]),
        ("delivered replies", "outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)"
         " AND created_at < ?", [delivery]),
        ("handled events", "inbox WHERE processed_at IS NOT NULL AND received_at < ?",
         [delivery]),
        ("offered buttons", "offered_buttons WHERE offered_at < ?", [conversation]),
    ]
